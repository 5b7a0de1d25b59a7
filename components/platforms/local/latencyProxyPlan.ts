/*
 * The plan of the latency proxies on the links between region namespaces: this kernel has no netem,
 * so a userspace proxy (toxiproxy) delays what crosses regions. Names and addresses only;
 * latencyProxy.ts runs them.
 *
 * Each region runs one proxy inside its namespace, on a second address of its subnet. It listens in
 * front of the gateway port of every server the region hosts, and of the route port of its stretch
 * server, and delays both directions by the configured latency. Those servers advertise the proxy's
 * address, so that every gateway and every stretch route (the links that cross regions) passes
 * through it, whichever address a peer learned by gossip. Being inside the destination's namespace,
 * the proxy's traffic from other regions still crosses the router: partitions cut it as well.
 * Regional routes stay direct: a region's own replicas are close to each other.
 */
import { Duration, parseDuration } from "../../model/durations";
import { Addressing, HostPort, hostPort } from "../../model/endpoints";
import { allServers, SuperClusterPlan } from "../../model/plan";
import { ProblemList, problemList } from "../../model/validation";
import { regionAddressing, RegionLink, RegionNetworkPlan } from "./regionNetworkPlan";

/** The proxies' API port, on their own address: one proxy per namespace, so one port fits all. */
export const LATENCY_PROXY_API_PORT = 8474;
/** An upper bound that still lets servers connect: their gateway and route handshakes time out. */
export const MAX_LATENCY_MS = 5000;

/** One proxied port: what listens in front of which server port. */
export interface ProxiedPort {
  /** Unique within the proxy: `<gateway|route>-<server>`. */
  name: string;
  listen: string;
  upstream: string;
}

export interface LatencyProxyPlan {
  region: string;
  namespace: string;
  /** The region's link to the router, which carries the proxy's address. */
  uplink: string;
  /** The proxy's own address in the region's subnet: where it listens and what servers advertise. */
  address: string;
  apiUrl: string;
  /** Added to each direction of every proxied connection. */
  latencyMs: number;
  ports: ProxiedPort[];
}

/** The second host of the region's subnet: servers bind .1, the router is .254. */
export function latencyProxyAddress(link: RegionLink): string {
  return link.address.replace(/\.1$/, ".2");
}

/** Whole milliseconds of a `latency` input; throws InvalidSpecError naming the field. */
export function latencyMilliseconds(latency: Duration, field: string): number {
  const problems = problemList();
  checkLatency(latency, field, problems);
  problems.throwIfAny("latency");
  return (parseDuration(latency) as number) / 1e6;
}

/** Adds a problem when `latency` is not a whole number of milliseconds within the bound. */
export function checkLatency(latency: Duration, field: string, problems: ProblemList): void {
  const ns = parseDuration(latency);
  if (typeof ns === "string") problems.add(field, ns);
  else if (ns % 1e6 !== 0) problems.add(field, `must be whole milliseconds (got ${JSON.stringify(latency)})`);
  else if (ns / 1e6 > MAX_LATENCY_MS) {
    problems.add(field, `at most ${MAX_LATENCY_MS}ms: servers would time out their handshakes`);
  }
}

/**
 * regionAddressing, with every server's gateway, and each stretch server's route, advertised at its
 * region's proxy on the same port numbers (ports are unique across the super-cluster).
 */
export function proxiedAddressing(loopback: Addressing, network: RegionNetworkPlan): Addressing {
  const direct = regionAddressing(loopback, network);
  const proxyOf = new Map(network.regions.map((link) => [link.region, latencyProxyAddress(link)]));
  return (server) => {
    const endpoint = direct(server);
    const host = proxyOf.get(server.region) as string;
    const at = (port: number): HostPort => ({ host, port });
    return {
      ...endpoint,
      advertise: {
        gateway: at(endpoint.gateway),
        ...(server.stretch ? { cluster: at(endpoint.cluster) } : {}),
      },
    };
  };
}

/** One proxy per region, in front of the ports that proxiedAddressing advertises. */
export function planLatencyProxies(
  superCluster: SuperClusterPlan,
  loopback: Addressing,
  network: RegionNetworkPlan,
  latencyMs: number,
): LatencyProxyPlan[] {
  const addressing = proxiedAddressing(loopback, network);
  const servers = allServers(superCluster);
  return network.regions.map((link) => {
    const ports: ProxiedPort[] = [];
    for (const server of servers.filter((s) => s.region === link.region)) {
      const { host, gateway, cluster, advertise } = addressing(server);
      const proxy = (kind: string, front: HostPort, port: number) =>
        ports.push({ name: `${kind}-${server.name}`, listen: hostPort(front), upstream: `${host}:${port}` });
      if (advertise?.gateway) proxy("gateway", advertise.gateway, gateway);
      if (advertise?.cluster) proxy("route", advertise.cluster, cluster);
    }
    const address = latencyProxyAddress(link);
    return {
      region: link.region,
      namespace: link.namespace,
      uplink: link.uplink,
      address,
      apiUrl: `http://${address}:${LATENCY_PROXY_API_PORT}`,
      latencyMs,
      ports,
    };
  });
}
