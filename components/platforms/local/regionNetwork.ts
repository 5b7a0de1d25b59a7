/*
 * Builds, cuts and removes the per-region network namespaces planned by regionNetworkPlan.ts,
 * with iproute2's `ip`. Only Node built-ins and model code: Pulumi's closure serializer carries
 * these functions into dynamic providers.
 *
 * Kernel facts this rests on (Linux 6.x):
 * - 127.0.0.0/8 is a `local` route on lo in every namespace, looked up before any other table; a
 *   more specific route in the `local` table sends part of it elsewhere, and a packet with a 127.x
 *   source or destination passes a non-lo interface only where that interface has route_localnet.
 * - `ip` gives 127.x addresses host scope, so routes name their source address: otherwise the
 *   kernel picks 0.0.0.0 and the router drops the packet as a martian.
 * - A policy rule with the blackhole action drops forwarded packets without any ICMP: both ends
 *   see a silent loss, as in a real partition. (`unreachable`/`prohibit` rules and a missing route
 *   answer with ICMP and fail connects at once; a link set down also flushes its routes.)
 * - A namespace whose processes still run outlives `ip netns del`, links and all.
 */
import * as childProcess from "child_process";
import * as fs from "fs";
import {
  DropRule,
  dropRuleKey,
  dropRules,
  NetworkFaults,
  networkNamespaces,
  RegionLink,
  RegionNetworkPlan,
} from "./regionNetworkPlan";

/** The router's priority for drop rules: after `local` (0), before `main` (32766). */
const DROP_RULE_PRIORITY = 100;
const SUBNET_BITS = 24;

export interface CommandResult {
  /** Exit code; null when the command was killed (e.g. at its timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], timeoutMs: number, input?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const stdin = input === undefined ? "ignore" : "pipe";
    const child = childProcess.spawn(command, args, { stdio: [stdin, "pipe", "pipe"] });
    // Not spawn's own `timeout`: its timer outlives a spawn that fails, holding the process 10 s.
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk));
    child.stderr?.on("data", (chunk) => (stderr += chunk));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A command may exit before reading its input; its exit code says whether that mattered.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input);
  });
}

async function ip(args: string[], input?: string): Promise<string> {
  const result = await run("ip", args, 10_000, input);
  if (result.code !== 0) {
    throw new Error(`ip ${args.join(" ")} failed: ${result.stderr.trim() || `exit code ${result.code}`}`);
  }
  return result.stdout;
}

async function ipJson<T>(args: string[]): Promise<T[]> {
  const out = (await ip(["-j", ...args])).trim();
  return out === "" ? [] : (JSON.parse(out) as T[]);
}

const inNamespace = (ns: string | undefined): string[] => (ns === undefined ? [] : ["-n", ns]);

async function existingNamespaces(): Promise<Set<string>> {
  return new Set((await ipJson<{ name: string }>(["netns", "list"])).map((n) => n.name));
}

async function linkNames(namespace?: string): Promise<Set<string>> {
  const links = await ipJson<{ ifname: string }>([...inNamespace(namespace), "link", "show"]);
  return new Set(links.map((l) => l.ifname));
}

/** Writes "1" into /proc/sys files as seen from inside `namespace` (they are per namespace). */
async function enableSysctls(namespace: string, files: string[]): Promise<void> {
  await ip(["netns", "exec", namespace, "tee", ...files.map((f) => `/proc/sys/net/ipv4/${f}`)], "1");
}

async function preflight(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "region network namespaces need root (CAP_SYS_ADMIN and CAP_NET_ADMIN): run this as root, " +
        "e.g. with sudo, or use the loopback addressing without namespaces",
    );
  }
  try {
    await ip(["netns", "list"]);
  } catch (e) {
    throw new Error(
      `\`ip netns\` is unavailable (${(e as Error).message}): install iproute2 ` +
        "(Debian: apt-get install iproute2) on a kernel with network namespaces",
    );
  }
}

interface LinkAddresses {
  addr_info: { local: string; prefixlen: number }[];
}

/**
 * lo up with 127.0.0.1/32 only: with the default /8, a packet for another region's 127.x address
 * would be delivered to this namespace's own lo, so a cut link would answer "refused" at once.
 */
async function loopbackOnly(namespace: string): Promise<void> {
  await ip(["-n", namespace, "link", "set", "lo", "up"]);
  await ip(["-n", namespace, "addr", "replace", "127.0.0.1/32", "dev", "lo"]);
  const [lo] = await ipJson<LinkAddresses>(["-n", namespace, "addr", "show", "dev", "lo"]);
  if (lo.addr_info.some((a) => a.local === "127.0.0.1" && a.prefixlen === 8)) {
    await ip(["-n", namespace, "addr", "del", "127.0.0.1/8", "dev", "lo"]);
  }
}

interface LinkEnd {
  /** Undefined for the root namespace. */
  ns?: string;
  name: string;
}

/** Deletes a link (and so its veth peer); one that vanished meanwhile counts as deleted. */
async function deleteLink(end: LinkEnd): Promise<void> {
  const result = await run("ip", [...inNamespace(end.ns), "link", "del", end.name], 10_000);
  if (result.code !== 0 && !/Cannot find device/.test(result.stderr)) {
    throw new Error(`ip link del ${end.name} failed: ${result.stderr.trim()}`);
  }
}

/** A veth pair between two namespaces, created unless both ends are there. */
async function vethPair(a: LinkEnd, b: LinkEnd): Promise<void> {
  const hasA = (await linkNames(a.ns)).has(a.name);
  const hasB = (await linkNames(b.ns)).has(b.name);
  if (hasA && hasB) return;
  // A pair dies as a whole, so a lone end belongs to a namespace that was deleted, which the kernel
  // tears down asynchronously, or that processes outlived.
  if (hasA) await deleteLink(a);
  if (hasB) await deleteLink(b);
  const where = (end: LinkEnd) => (end.ns === undefined ? [] : ["netns", end.ns]);
  await ip(["link", "add", a.name, ...where(a), "type", "veth", "peer", "name", b.name, ...where(b)]);
}

/** Refuses to take over 127.<octet>.0.0/16 when another interface (another stack?) routes it. */
async function checkRangeIsFree(plan: RegionNetworkPlan): Promise<void> {
  const routes = await ipJson<{ dst: string; dev?: string }>(["route", "show", "table", "local"]);
  const taken = routes.find((r) => r.dst === plan.range && r.dev !== plan.root.interface);
  if (taken !== undefined) {
    throw new Error(
      `${plan.range} is already routed to ${taken.dev ?? "elsewhere"} in the root namespace, probably by ` +
        `another stack's region network: give this one another octet`,
    );
  }
}

/**
 * Creates the namespaces, links, addresses and routes of the plan, or completes and repairs what
 * an earlier run left; running servers keep their addresses. Throws, naming the fix, when not root
 * or without `ip netns`.
 */
export async function createRegionNetwork(plan: RegionNetworkPlan): Promise<void> {
  await preflight();
  await checkRangeIsFree(plan);
  const present = await existingNamespaces();
  for (const namespace of networkNamespaces(plan)) {
    if (!present.has(namespace)) await ip(["netns", "add", namespace]);
    await loopbackOnly(namespace);
  }

  const router = plan.router.namespace;
  await enableSysctls(router, ["ip_forward", "conf/all/route_localnet"]);
  for (const region of plan.regions) {
    await vethPair(
      { ns: region.namespace, name: region.uplink },
      { ns: router, name: region.routerInterface },
    );
    await enableSysctls(region.namespace, ["conf/all/route_localnet"]);
    const bits = `/${SUBNET_BITS}`;
    await ip(["-n", region.namespace, "addr", "replace", region.address + bits, "dev", region.uplink]);
    await ip(["-n", router, "addr", "replace", region.gateway + bits, "dev", region.routerInterface]);
    await ip(["-n", region.namespace, "link", "set", region.uplink, "up"]);
    await ip(["-n", router, "link", "set", region.routerInterface, "up"]);
    // The whole range rather than a default route: a region reaches nothing outside the network.
    const via = ["via", region.gateway, "dev", region.uplink, "src", region.address];
    await ip(["-n", region.namespace, "route", "replace", plan.range, ...via]);
  }

  const { root } = plan;
  await vethPair({ name: root.interface }, { ns: router, name: plan.router.rootInterface });
  const routerEnd = plan.router.rootInterface;
  await ip(["-n", router, "addr", "replace", `${plan.router.address}/${SUBNET_BITS}`, "dev", routerEnd]);
  await ip(["-n", router, "link", "set", routerEnd, "up"]);
  // Per interface, so that the root namespace's own settings stay as they were.
  fs.writeFileSync(`/proc/sys/net/ipv4/conf/${root.interface}/route_localnet`, "1");
  await ip(["addr", "replace", `${root.address}/32`, "dev", root.interface]);
  await ip(["link", "set", root.interface, "up"]);
  // The next hop needs its own route first: the kernel checks a gateway against the local table,
  // where 127.0.0.0/8 would make it a local address.
  await ip(["route", "replace", "table", "local", `${plan.router.address}/32`, "dev", root.interface]);
  const via = ["via", plan.router.address, "dev", root.interface, "src", root.address];
  await ip(["route", "replace", "table", "local", plan.range, ...via]);
}

/**
 * Gives the region's uplink one more address of its subnet (e.g. for a proxy in front of its
 * servers); the router already routes the whole subnet there.
 */
export async function addRegionAddress(
  link: Pick<RegionLink, "namespace" | "uplink">,
  address: string,
): Promise<void> {
  await ip(["-n", link.namespace, "addr", "replace", `${address}/32`, "dev", link.uplink]);
}

/**
 * Removes the namespaces and the root link of the plan, and with them every link, address, route
 * and rule inside; leaves everything else alone. Refuses while processes run in a namespace, since
 * those would keep it and its links alive unnamed.
 */
export async function destroyRegionNetwork(plan: RegionNetworkPlan): Promise<void> {
  await preflight();
  const present = await existingNamespaces();
  const namespaces = networkNamespaces(plan).filter((ns) => present.has(ns));
  const busy: string[] = [];
  for (const namespace of namespaces) {
    const pids = (await ip(["netns", "pids", namespace])).trim().split(/\s+/).filter(Boolean);
    if (pids.length > 0) busy.push(`${namespace} (pids ${pids.join(", ")})`);
  }
  if (busy.length > 0) {
    throw new Error(`processes still run in ${busy.join("; ")}: stop them before destroying the network`);
  }
  // Explicitly, because a namespace is torn down asynchronously after `ip netns del`; the root
  // namespace's routes through this link go with it.
  if ((await linkNames()).has(plan.root.interface)) await deleteLink({ name: plan.root.interface });
  for (const namespace of namespaces) await ip(["netns", "del", namespace]);
}

const ruleArgs = (rule: DropRule): string[] => ["from", rule.from, "to", rule.to];

interface IpRule {
  priority: number;
  action?: string;
  src: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
}

/**
 * Makes the router drop exactly what `faults` cuts, whatever it dropped before: adds missing
 * rules first, then removes stale ones. Idempotent; `{}` heals.
 */
export async function setNetworkFaults(plan: RegionNetworkPlan, faults: NetworkFaults): Promise<void> {
  const wanted = dropRules(plan, faults);
  const router = plan.router.namespace;
  const current = (await ipJson<IpRule>(["-n", router, "rule", "show"]))
    .filter((r) => r.priority === DROP_RULE_PRIORITY && r.action === "blackhole")
    .map((r): DropRule => ({ from: `${r.src}/${r.srclen}`, to: `${r.dst}/${r.dstlen}` }));
  const currentKeys = new Set(current.map(dropRuleKey));
  const wantedKeys = new Set(wanted.map(dropRuleKey));
  const priority = ["priority", String(DROP_RULE_PRIORITY)];
  for (const rule of wanted.filter((r) => !currentKeys.has(dropRuleKey(r)))) {
    await ip(["-n", router, "rule", "add", ...priority, ...ruleArgs(rule), "blackhole"]);
  }
  for (const rule of current.filter((r) => !wantedKeys.has(dropRuleKey(r)))) {
    await ip(["-n", router, "rule", "del", ...priority, ...ruleArgs(rule), "blackhole"]);
  }
}

/** Cuts traffic between the groups (unnamed regions form one more); replaces any earlier fault. */
export const partition = (plan: RegionNetworkPlan, groups: string[][]): Promise<void> =>
  setNetworkFaults(plan, { partition: groups });

/** Cuts the regions off from everyone, the root namespace too; replaces any earlier fault. */
export const isolate = (plan: RegionNetworkPlan, regions: string[]): Promise<void> =>
  setNetworkFaults(plan, { isolated: regions });

export const heal = (plan: RegionNetworkPlan): Promise<void> => setNetworkFaults(plan, {});

/**
 * The argv prefix that runs a command inside `namespace`. `ip netns exec` execs the command in
 * place, so a detached spawn's pid is the command's own.
 */
export const namespaceLauncher = (namespace: string): string[] => ["ip", "netns", "exec", namespace];

/** Runs `argv` inside `namespace` and reports how it ended; killed (code null) at `timeoutMs`. */
export function runInNamespace(namespace: string, argv: string[], timeoutMs: number): Promise<CommandResult> {
  const [command, ...args] = [...namespaceLauncher(namespace), ...argv];
  return run(command, args, timeoutMs);
}
