/*
 * The private network of a region's VMs, planned before anything exists: a /16 per region, a /24
 * per zone, and a fixed private address per server, so that a regional cluster's routes can name
 * each other in every server's config. Pure; shared by AWS (VPC) and GCP (subnetwork).
 */
import { ServerPlan } from "../../model/plan";

export interface VmNetworkPlan {
  cidr: string;
  /** One subnet per zone, in the region's zone order. */
  subnets: { zone: string; cidr: string }[];
  /** Server name → its private address. */
  privateIps: Map<string, string>;
}

/** The first host numbers of a subnet that clouds keep for themselves (AWS keeps .0 to .3). */
const FIRST_HOST = 10;

/**
 * `10.<octet>.0.0/16` for the region; zone z gets `10.<octet>.<z>.0/24` and its servers (regional and
 * stretch, in plan order) `.10`, `.11`, ...
 */
export function planVmNetwork(octet: number, zones: string[], servers: ServerPlan[]): VmNetworkPlan {
  const net = `10.${octet}`;
  const used = new Map<string, number>();
  const privateIps = new Map<string, string>();
  for (const server of servers) {
    const z = zones.indexOf(server.zone);
    if (z < 0)
      throw new Error(`server ${server.name} is in zone ${server.zone}, not one of ${zones.join(", ")}`);
    const k = used.get(server.zone) ?? 0;
    used.set(server.zone, k + 1);
    privateIps.set(server.name, `${net}.${z}.${FIRST_HOST + k}`);
  }
  return {
    cidr: `${net}.0.0/16`,
    subnets: zones.map((zone, z) => ({ zone, cidr: `${net}.${z}.0/24` })),
    privateIps,
  };
}
