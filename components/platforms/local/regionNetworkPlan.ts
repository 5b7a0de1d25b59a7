/*
 * The plan of a local network in which each region lives in its own Linux network namespace, so
 * that a network partition between regions is a cut link rather than a killed process. Names and
 * addresses only; regionNetwork.ts builds it.
 *
 * Shape: a router namespace in the middle with one veth pair to each region's namespace and one to
 * the root namespace (where Pulumi, the providers and the tests run). Everything lives in
 * 127.<octet>.0.0/16: the root end is 127.<octet>.0.1, region i has 127.<octet>.<i+1>.0/24, its
 * servers bind to .1 and the router is .254. Forwarding and cuts happen only inside the router, so
 * the root namespace keeps ip_forward off and gains nothing but one veth and two routes.
 */
import { Addressing } from "../../model/endpoints";
import { integerProblem, problemList } from "../../model/validation";

export const DEFAULT_NETWORK_OCTET = 77;
/** Linux's IFNAMSIZ (16) less the terminating NUL. */
export const MAX_INTERFACE_NAME = 15;
const ROOT_LINK_SUFFIX = "-root";
const MAX_PREFIX_LENGTH = MAX_INTERFACE_NAME - ROOT_LINK_SUFFIX.length;
const PREFIX_PATTERN = /^[a-z][a-z0-9]*$/;
/** Third octets 1..254 go to regions: 0 is the root link's subnet, 255 would be a broadcast. */
export const MAX_NETWORK_REGIONS = 254;

export interface RegionNetworkSpec {
  /**
   * Starts the name of every namespace and of the root namespace's interface; unique per stack on
   * this machine (e.g. `ng` and 4 hex digits of the stack name's hash).
   */
  prefix: string;
  /** The regions, in the topology's order: region i gets 127.<octet>.<i+1>.1. */
  regions: string[];
  /** Second octet of the 127.<octet>.0.0/16 range, unique per stack on this machine (default 77). */
  octet?: number;
}

export interface RegionLink {
  region: string;
  namespace: string;
  /** The address every server of the region binds to. */
  address: string;
  subnet: string;
  /** The router's end of the region's link: the region's next hop to everyone else. */
  gateway: string;
  /** The link's interface inside the region's namespace. */
  uplink: string;
  /** The link's interface inside the router namespace. */
  routerInterface: string;
}

export interface RegionNetworkPlan {
  prefix: string;
  octet: number;
  /** 127.<octet>.0.0/16: all of the network, routed from the root namespace to the router. */
  range: string;
  root: {
    /** The root namespace's end of its link to the router. */
    interface: string;
    /** The root namespace's source address towards the regions. */
    address: string;
  };
  router: {
    namespace: string;
    /** The router's end of the root link. */
    rootInterface: string;
    /** The router's address on the root link: the root namespace's next hop. */
    address: string;
  };
  regions: RegionLink[];
}

/**
 * A prefix and octet for a stack's network from a key unique to the stack on this machine (its data
 * directory), so that two stacks' networks neither share names nor addresses (FNV-1a).
 */
export function networkIdentity(key: string): { prefix: string; octet: number } {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  }
  const prefix = `ng${(hash & 0xffff).toString(16).padStart(4, "0")}`;
  // 100..249: clear of 127.0.x.x and of the octets that tests choose below 100.
  return { prefix, octet: 100 + ((hash >>> 16) % 150) };
}

/** Names and addresses of the network; throws InvalidSpecError naming every bad field. */
export function planRegionNetwork(spec: RegionNetworkSpec): RegionNetworkPlan {
  const problems = problemList();
  const octet = spec.octet ?? DEFAULT_NETWORK_OCTET;
  if (typeof spec.prefix !== "string" || !PREFIX_PATTERN.test(spec.prefix)) {
    problems.add(
      "prefix",
      `${JSON.stringify(spec.prefix)} must be lowercase letters and digits, starting with a letter`,
    );
  } else if (spec.prefix.length > MAX_PREFIX_LENGTH) {
    problems.add(
      "prefix",
      `"${spec.prefix}" is ${spec.prefix.length} characters; at most ${MAX_PREFIX_LENGTH} fit the root ` +
        `interface name "<prefix>${ROOT_LINK_SUFFIX}" into Linux's ${MAX_INTERFACE_NAME}`,
    );
  }
  // 127.0.x.x holds 127.0.0.1 and resolvers such as 127.0.0.53; 127.255.255.255 is lo's broadcast.
  problems.check("octet", integerProblem(octet, 1, 254));
  if (!Array.isArray(spec.regions) || spec.regions.length === 0) {
    problems.add("regions", "must list at least one region");
  } else if (spec.regions.length > MAX_NETWORK_REGIONS) {
    problems.add(
      "regions",
      `at most ${MAX_NETWORK_REGIONS} regions fit one network (got ${spec.regions.length})`,
    );
  } else if (new Set(spec.regions).size !== spec.regions.length) {
    problems.add("regions", "regions must be unique");
  }
  problems.throwIfAny("region network");

  const net = `127.${octet}`;
  return {
    prefix: spec.prefix,
    octet,
    range: `${net}.0.0/16`,
    root: { interface: `${spec.prefix}${ROOT_LINK_SUFFIX}`, address: `${net}.0.1` },
    router: { namespace: `${spec.prefix}-r`, rootInterface: "root", address: `${net}.0.254` },
    regions: spec.regions.map((region, i) => ({
      region,
      namespace: `${spec.prefix}-${i}`,
      address: `${net}.${i + 1}.1`,
      subnet: `${net}.${i + 1}.0/24`,
      gateway: `${net}.${i + 1}.254`,
      uplink: "uplink",
      routerInterface: `region${i}`,
    })),
  };
}

/** Every namespace of the network, the router's last. */
export function networkNamespaces(plan: RegionNetworkPlan): string[] {
  return [...plan.regions.map((r) => r.namespace), plan.router.namespace];
}

export function regionLink(plan: RegionNetworkPlan, region: string): RegionLink {
  const link = plan.regions.find((r) => r.region === region);
  if (link === undefined) {
    throw new Error(
      `region "${region}" has no namespace in network ${plan.prefix} ` +
        `(it has ${plan.regions.map((r) => r.region).join(", ")})`,
    );
  }
  return link;
}

/**
 * Each server on its region's address (a stretch server on the address of the region hosting it),
 * with the ports `loopback` gives it: unique per server across the super-cluster.
 */
export function regionAddressing(loopback: Addressing, network: RegionNetworkPlan): Addressing {
  return (server) => {
    const { address } = regionLink(network, server.region);
    return { ...loopback(server), host: address, bind: address };
  };
}

/** What is cut; every field absent means a healthy network. */
export interface NetworkFaults {
  /**
   * Sides of a partition: regions of one group reach each other, traffic between groups is
   * dropped silently. Regions that no group names form one more group. The root namespace still
   * reaches every region.
   */
  partition?: string[][];
  /** Regions that nobody reaches, the root namespace included, and that reach nobody. */
  isolated?: string[];
}

/**
 * A policy rule in the router that drops packets from one subnet to another. Both sides are always
 * named: the kernel takes an unnamed side as a wildcard when it looks for duplicates, so `from X`
 * could not be added beside `from X to Y`.
 */
export interface DropRule {
  from: string;
  to: string;
}

/** The key by which rules are compared with what the router has. */
export const dropRuleKey = (rule: DropRule): string => `${rule.from}>${rule.to}`;

/** The router's drop rules for `faults`, without duplicates; throws InvalidSpecError on unknown regions. */
export function dropRules(plan: RegionNetworkPlan, faults: NetworkFaults): DropRule[] {
  const problems = problemList();
  const known = new Set(plan.regions.map((r) => r.region));
  const groupOf = new Map<string, number>();
  (faults.partition ?? []).forEach((group, g) =>
    group.forEach((region, j) => {
      const at = `partition[${g}][${j}]`;
      if (!known.has(region))
        problems.add(at, `unknown region "${region}" (known: ${[...known].join(", ")})`);
      else if (groupOf.has(region))
        problems.add(at, `region "${region}" is already in group ${groupOf.get(region)}`);
      else groupOf.set(region, g);
    }),
  );
  (faults.isolated ?? []).forEach((region, i) => {
    if (!known.has(region)) {
      problems.add(`isolated[${i}]`, `unknown region "${region}" (known: ${[...known].join(", ")})`);
    }
  });
  problems.throwIfAny("network faults");

  const rest = faults.partition?.length ?? 0;
  const side = (region: string) => groupOf.get(region) ?? rest;
  const rules = new Map<string, DropRule>();
  const add = (rule: DropRule) => rules.set(dropRuleKey(rule), rule);
  if (faults.partition !== undefined) {
    for (const a of plan.regions) {
      for (const b of plan.regions) {
        if (side(a.region) !== side(b.region)) add({ from: a.subnet, to: b.subnet });
      }
    }
  }
  for (const region of faults.isolated ?? []) {
    const { subnet } = regionLink(plan, region);
    add({ from: subnet, to: plan.range });
    add({ from: plan.range, to: subnet });
  }
  return [...rules.values()];
}
