/*
 * Machines for the platform tests: each a network namespace of its own, joined by the router of a
 * region network (platforms/local/regionNetworkPlan.ts) with one "region" per machine. Besides its own 127.x
 * address, a machine may own the addresses a cloud gives it (an EC2 instance's private IP and
 * Elastic IP, a pod's IP): the router and the root namespace route each to it, and the machine
 * sends everything else to the router from its first such address, as a VM does from its NIC.
 */
import { spawnSync } from "child_process";
import {
  networkNamespaces,
  planRegionNetwork,
  RegionLink,
  RegionNetworkPlan,
  regionLink,
} from "../../../components/platforms/local/regionNetworkPlan";
import {
  addRegionAddress,
  createRegionNetwork,
  destroyRegionNetwork,
} from "../../../components/platforms/local/regionNetwork";
import { killLeftovers } from "./leftovers";

function ip(args: string[]): void {
  const result = spawnSync("ip", args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`ip ${args.join(" ")} failed: ${result.stderr.trim()}`);
}

export class MachineNetwork {
  readonly plan: RegionNetworkPlan;
  private readonly owned = new Map<string, string[]>();

  /** `prefix` and `octet` as for a region network: unique per test file on this machine. */
  constructor(prefix: string, octet: number, machines: string[]) {
    this.plan = planRegionNetwork({ prefix, octet, regions: machines });
  }

  machine(id: string): RegionLink {
    return regionLink(this.plan, id);
  }

  /** The argv that runs a bash `script` on `machine`, in a mount namespace of its own. */
  shell(id: string, script: string): string[] {
    const { namespace } = this.machine(id);
    return [
      "ip",
      "netns",
      "exec",
      namespace,
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "bash",
      "-c",
      script,
    ];
  }

  /** A network of these names left by a killed run goes first, with whatever still runs on it. */
  async create(): Promise<void> {
    const present = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
    const stale = networkNamespaces(this.plan).filter((ns) => new RegExp(`^${ns}( |$)`, "m").test(present));
    if (stale.length > 0) {
      const pids = stale.flatMap((ns) =>
        spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" })
          .stdout.split(/\s+/)
          .filter(Boolean)
          .map(Number),
      );
      await killLeftovers(`processes of network ${this.plan.prefix}`, pids);
      await destroyRegionNetwork(this.plan);
    }
    await createRegionNetwork(this.plan);
  }

  /** Gives `machine` one more address, reached from the root namespace and every other machine. */
  async own(id: string, address: string): Promise<void> {
    if (this.owned.get(id)?.includes(address)) return;
    const link = this.machine(id);
    await addRegionAddress(link, address);
    const { router, root } = this.plan;
    ip([
      "-n",
      router.namespace,
      "route",
      "replace",
      `${address}/32`,
      "via",
      link.address,
      "dev",
      link.routerInterface,
    ]);
    ip([
      "route",
      "replace",
      `${address}/32`,
      "via",
      router.address,
      "dev",
      root.interface,
      "src",
      root.address,
    ]);
    const addresses = [...(this.owned.get(id) ?? []), address];
    this.owned.set(id, addresses);
    if (addresses.length === 1) {
      ip([
        "-n",
        link.namespace,
        "route",
        "replace",
        "default",
        "via",
        link.gateway,
        "dev",
        link.uplink,
        "src",
        address,
      ]);
    }
  }

  /** Takes one address back from `machine`, as when an Elastic IP is disassociated. */
  async disown(id: string, address: string): Promise<void> {
    const link = this.machine(id);
    ip(["-n", this.plan.router.namespace, "route", "del", `${address}/32`]);
    ip(["route", "del", `${address}/32`]);
    ip(["-n", link.namespace, "addr", "del", `${address}/32`, "dev", link.uplink]);
    this.owned.set(
      id,
      (this.owned.get(id) ?? []).filter((a) => a !== address),
    );
  }

  /** Takes back every address `machine` owned, as when its instance is gone. */
  async release(id: string): Promise<void> {
    for (const address of [...(this.owned.get(id) ?? [])].reverse()) await this.disown(id, address);
    this.owned.delete(id);
  }

  async destroy(): Promise<void> {
    await destroyRegionNetwork(this.plan);
    this.owned.clear();
  }
}
