/*
 * The private network of a region's VMs, planned before anything exists: a fixed private address
 * per server in its zone's subnet, so that a regional cluster's routes can name each other in every
 * server's config. Either a network the platform creates (a /16 per region, a /24 per zone) or
 * subnets the user gives. Pure; shared by AWS (VPC) and GCP (subnetwork).
 */
import { ServerPlan } from "../../model/plan";
import { cidrProblem } from "./args";

export interface VmNetworkPlan {
  /** The region's range (the VPC or subnetwork the platform creates); "" for subnets of a VPC given. */
  cidr: string;
  /** The subnet of each zone, in the region's zone order (zones may share one). */
  subnets: { zone: string; cidr: string }[];
  /** Server name → its private address. */
  privateIps: Map<string, string>;
}

/** The first host numbers of a subnet that clouds keep for themselves (AWS keeps .0 to .3, GCP .0 and .1). */
const FIRST_HOST = 10;

const toNumber = (ip: string) => ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");

/** Address `n` of `cidr` (0 is the network address); undefined past its end. */
export function addressIn(cidr: string, n: number): string | undefined {
  const [ip, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  // The last address is the broadcast address.
  return n < size - 1 ? toIp(toNumber(ip) - (toNumber(ip) % size) + n) : undefined;
}

/** Each server's address in its zone's subnet: `FIRST_HOST`, then on, per subnet, in plan order. */
export function planVmNetworkIn(
  cidr: string,
  subnets: { zone: string; cidr: string }[],
  servers: ServerPlan[],
): VmNetworkPlan {
  const used = new Map<string, number>();
  const privateIps = new Map<string, string>();
  for (const server of servers) {
    const subnet = subnets.find((s) => s.zone === server.zone);
    if (subnet === undefined)
      throw new Error(`server ${server.name} is in zone ${server.zone}, which has no subnet`);
    const k = used.get(subnet.cidr) ?? 0;
    used.set(subnet.cidr, k + 1);
    const address = addressIn(subnet.cidr, FIRST_HOST + k);
    if (address === undefined) throw new Error(`subnet ${subnet.cidr} has no room for server ${server.name}`);
    privateIps.set(server.name, address);
  }
  return { cidr, subnets, privateIps };
}

/** The network a platform creates: `10.<octet>.0.0/16` for the region, `10.<octet>.<z>.0/24` for zone z. */
export function planVmNetwork(octet: number, zones: string[], servers: ServerPlan[]): VmNetworkPlan {
  const subnets = zones.map((zone, z) => ({ zone, cidr: `10.${octet}.${z}.0/24` }));
  return planVmNetworkIn(`10.${octet}.0.0/16`, subnets, servers);
}

/** Why `cidr` cannot hold `servers` servers from FIRST_HOST on, or undefined when it can. */
export function subnetProblem(cidr: unknown, servers: number): string | undefined {
  const problem = cidrProblem(cidr);
  if (problem !== undefined) return problem;
  if (addressIn(cidr as string, FIRST_HOST + servers - 1) === undefined) {
    return `${cidr} is too small for ${servers} servers from its host ${FIRST_HOST} on: give a /27 or larger`;
  }
  return undefined;
}

/**
 * What a region's firewall calls its own network: the region's range (`regionCidr`, "" for subnets
 * of a network given), else the distinct CIDRs of its subnets.
 */
export const internalRanges = (regionCidr: string, subnetCidrs: string[]): string[] =>
  regionCidr !== "" ? [regionCidr] : [...new Set(subnetCidrs)];

/** `internalRanges` of a planned network. */
export const planInternalRanges = (plan: VmNetworkPlan): string[] =>
  internalRanges(
    plan.cidr,
    plan.subnets.map((s) => s.cidr),
  );

/** The network of a region: the platform's own, or inside what the user gives (a CIDR per zone). */
export function regionVmNetwork(
  octet: number,
  zones: string[],
  servers: ServerPlan[],
  given?: { cidr: string; subnetOf: (zone: string) => string },
): VmNetworkPlan {
  if (given === undefined) return planVmNetwork(octet, zones, servers);
  return planVmNetworkIn(
    given.cidr,
    zones.map((zone) => ({ zone, cidr: given.subnetOf(zone) })),
    servers,
  );
}
