import { ServerPlan } from "./plan";

/** A host and port that something other than the server itself answers on, e.g. a proxy. */
export interface HostPort {
  host: string;
  port: number;
}

/** How a server is reached (host) and what it binds to (bind), with its four ports. */
export interface Endpoint {
  host: string;
  bind: string;
  client: number;
  cluster: number;
  gateway: number;
  monitor: number;
  /**
   * Where its clients, route and gateway peers reach it instead of host (a proxy, a load balancer,
   * a pod's DNS name). The server advertises these, so that the addresses it gossips lead there too.
   */
  advertise?: { client?: HostPort; cluster?: HostPort; gateway?: HostPort };
  /** Other names it is reached by (a Service's DNS name): its certificate carries them too. */
  names?: string[];
}

/** Resolves the endpoint of any server of the plan; each platform supplies one. */
export type Addressing = (server: ServerPlan) => Endpoint;

export const clientUrl = (e: Endpoint): string => `nats://${e.host}:${e.client}`;
/** Where peers reach the server's route port: its advertised address, else host. */
export const routeAddress = (e: Endpoint): HostPort =>
  e.advertise?.cluster ?? { host: e.host, port: e.cluster };
/** Where other clusters reach the server's gateway port: its advertised address, else host. */
export const gatewayAddress = (e: Endpoint): HostPort =>
  e.advertise?.gateway ?? { host: e.host, port: e.gateway };
export const hostPort = (a: HostPort): string => `${a.host}:${a.port}`;
export const routeUrl = (e: Endpoint): string => `nats-route://${hostPort(routeAddress(e))}`;
export const gatewayUrl = (e: Endpoint): string => `nats://${hostPort(gatewayAddress(e))}`;
export const isLoopback = (host: string): boolean =>
  host.startsWith("127.") || host === "::1" || host === "localhost";
/** With TLS, monitoring stays plain HTTP only where nothing but this machine reaches it. */
export const monitorOverHttps = (e: Endpoint, tls: boolean): boolean => tls && !isLoopback(e.bind);
export const monitorUrl = (e: Endpoint, tls = false): string =>
  `${monitorOverHttps(e, tls) ? "https" : "http"}://${e.host}:${e.monitor}`;
