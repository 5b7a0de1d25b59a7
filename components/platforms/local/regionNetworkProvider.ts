import * as pulumi from "@pulumi/pulumi";
import * as childProcess from "child_process";
import { RegionNetworkPlan } from "./regionNetworkPlan";
import { createRegionNetwork, destroyRegionNetwork } from "./regionNetwork";

export interface RegionNetworkInputs {
  plan: RegionNetworkPlan;
}

/** Whether the router namespace is there: after a reboot, none of the network is. */
function routerExists(plan: RegionNetworkPlan): boolean {
  const list = childProcess.spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  return list.stdout.split("\n").some((line) => line.split(" ")[0] === plan.router.namespace);
}

/**
 * The region namespaces of a stack's local servers. Servers depend on it: it is built before
 * them, and removed after them.
 */
export const regionNetworkProvider: pulumi.dynamic.ResourceProvider<
  RegionNetworkInputs,
  RegionNetworkInputs
> = {
  async create(inputs) {
    await createRegionNetwork(inputs.plan);
    return { id: inputs.plan.prefix, outs: inputs };
  },
  async read(id, props) {
    // Gone (a reboot): dropped from state, so that the next `up` builds it again.
    return props !== undefined && routerExists(props.plan) ? { id, props } : {};
  },
  async diff(_id, olds, news) {
    const changed = JSON.stringify(olds.plan) !== JSON.stringify(news.plan);
    return { changes: changed, replaces: changed ? ["plan"] : [], deleteBeforeReplace: true };
  },
  async delete(_id, props) {
    await destroyRegionNetwork(props.plan);
  },
};

/** `pulumi-nodejs:local:RegionNetwork`. */
export class RegionNetwork extends pulumi.dynamic.Resource {
  declare readonly plan: pulumi.Output<RegionNetworkPlan>;

  constructor(name: string, args: RegionNetworkInputs, opts?: pulumi.CustomResourceOptions) {
    super(regionNetworkProvider, name, args, opts, "local", "RegionNetwork");
  }
}
