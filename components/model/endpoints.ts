import { localPortIndex, ServerPlan, SuperClusterPlan } from "./plan";

/** How a server is reached (host) and what it binds to (bind), with its four ports. */
export interface Endpoint {
  host: string;
  bind: string;
  client: number;
  cluster: number;
  gateway: number;
  monitor: number;
}

/** Resolves the endpoint of any server of the plan; each platform supplies one. */
export type Addressing = (server: ServerPlan) => Endpoint;

export const LOOPBACK = "127.0.0.1";

/** Every local server on 127.0.0.1, server k on base + k of each port kind. */
export function loopbackAddressing(plan: SuperClusterPlan): Addressing {
  const index = localPortIndex(plan);
  return (server) => {
    const k = index.get(server.name);
    if (k === undefined) throw new Error(`server ${server.name} does not run on the local platform`);
    return {
      host: LOOPBACK,
      bind: LOOPBACK,
      client: plan.ports.client + k,
      cluster: plan.ports.cluster + k,
      gateway: plan.ports.gateway + k,
      monitor: plan.ports.monitor + k,
    };
  };
}

export const clientUrl = (e: Endpoint): string => `nats://${e.host}:${e.client}`;
export const routeUrl = (e: Endpoint): string => `nats-route://${e.host}:${e.cluster}`;
export const gatewayUrl = (e: Endpoint): string => `nats://${e.host}:${e.gateway}`;
export const monitorUrl = (e: Endpoint): string => `http://${e.host}:${e.monitor}`;
