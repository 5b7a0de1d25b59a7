/*
 * How a platform's servers are named from outside: a template with `{server}`, or an address per
 * server name. Shared by every platform whose servers are reached across networks. Pure.
 */
import { Endpoint } from "../model/endpoints";
import { ServerPlan } from "../model/plan";
import { PortBases } from "../model/topology";
import { ProblemList } from "../model/validation";

/** A DNS name (or IP) per server: "{server}.nats.example.com", or `{ "west-1": "203.0.113.7", ... }`. */
export type PublicHosts = string | Record<string, string>;

/** `template` with `{server}` replaced by the server's name. */
export const forServer = (template: string, server: string): string =>
  template.split("{server}").join(server);

export function publicHost(hosts: PublicHosts, server: string): string {
  return typeof hosts === "string" ? forServer(hosts, server) : hosts[server];
}

/** Adds a problem `at` the field unless `hosts` gives each of `servers` an address of its own. */
export function checkPublicHosts(
  hosts: PublicHosts | undefined,
  at: string,
  servers: string[],
  problems: ProblemList,
): void {
  if (hosts === undefined) {
    problems.add(
      at,
      'other regions reach each server at its own address: give a template such as "{server}.nats.example.com", or an address per server',
    );
    return;
  }
  if (typeof hosts === "string") {
    if (!hosts.includes("{server}") && servers.length > 1) {
      problems.add(at, `"${hosts}" would give every server the same address: put {server} in it`);
    }
    return;
  }
  const missing = servers.filter((s) => typeof hosts[s] !== "string");
  if (missing.length > 0) problems.add(at, `no address for ${missing.join(", ")}`);
}

/**
 * A server off this machine binds every interface. Everything that crosses networks (clients, the
 * other clusters' gateways, a stretch cluster's routes) reaches it at its public host; its own
 * regional cluster's routes stay on the inside address. It advertises exactly these, never an
 * address the other side cannot reach; its certificate also names `inside` and `names`.
 */
export function publicEndpoint(
  server: ServerPlan,
  ports: PortBases,
  addresses: { publicHost: string; inside: string; names?: string[] },
): Endpoint {
  const { publicHost, inside } = addresses;
  return {
    host: publicHost,
    bind: "0.0.0.0",
    ...ports,
    advertise: {
      client: { host: publicHost, port: ports.client },
      cluster: { host: server.stretch ? publicHost : inside, port: ports.cluster },
      gateway: { host: publicHost, port: ports.gateway },
    },
    names: [inside, ...(addresses.names ?? [])],
  };
}
