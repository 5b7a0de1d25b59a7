/*
 * The drivers of the platforms off this machine, each loaded only when a region needs it: their
 * clouds' Pulumi packages are optional peers, so a local-only program runs without them.
 */
import * as pulumi from "@pulumi/pulumi";
import { SuperClusterPlan } from "../model/plan";
import type { RegionArgs } from "./checks";
import { PlatformDriver } from "./driver";
import type { KubernetesRegionArgs } from "./kubernetes/args";
import type { VmRegionArgs } from "./vm/args";
import type { VmRegionPlan } from "./vm/cloud";
import { VmPlatform } from "./vm/vmPlatform";

/** Region i of the super-cluster on a VM cloud gets the private network 10.<10 + i>.0.0/16. */
const VM_FIRST_OCTET = 10;

/** Each region on `platform`, with what its driver needs of it (args checked by checkPlatforms). */
function regionsOn<T>(
  platform: string,
  regions: RegionArgs[],
  take: (region: RegionArgs, index: number) => T,
): Map<string, T> {
  return new Map(
    regions.flatMap((region, i) =>
      region.platform === platform ? [[region.name, take(region, i)] as const] : [],
    ),
  );
}

function load<T>(platform: string, module: () => T): T {
  try {
    return module();
  } catch (e) {
    const missing = /Cannot find module '(@pulumi\/[a-z0-9-]+)'/.exec((e as Error).message);
    if (missing === null) throw e;
    throw new pulumi.RunError(
      `regions on ${platform} need the ${missing[1]} package: npm install ${missing[1]}`,
    );
  }
}

/** A driver for each of k8s, aws and gcp that some region runs on. */
export function remoteDrivers(
  name: string,
  regions: RegionArgs[],
  plan: SuperClusterPlan,
  parent: pulumi.ComponentResource,
): PlatformDriver[] {
  const drivers: PlatformDriver[] = [];
  const kubernetes = regionsOn("k8s", regions, (r) => r.k8s as KubernetesRegionArgs);
  if (kubernetes.size > 0) {
    const { KubernetesPlatform } = load<typeof import("./kubernetes/kubernetesPlatform")>("k8s", () =>
      require("./kubernetes/kubernetesPlatform"),
    );
    drivers.push(new KubernetesPlatform(name, kubernetes, parent));
  }
  const vmRegions = <A extends VmRegionArgs>(
    platform: "aws" | "gcp",
    argsOf: (region: RegionArgs) => A | undefined,
  ): Map<string, VmRegionPlan<A>> =>
    regionsOn(platform, regions, (region, i) => ({
      name: region.name,
      args: argsOf(region) as A,
      zones: region.zones as string[],
      octet: VM_FIRST_OCTET + i,
    }));
  const onAws = vmRegions("aws", (region) => region.aws);
  if (onAws.size > 0) {
    const { AwsCloud } = load<typeof import("./aws/awsCloud")>("aws", () => require("./aws/awsCloud"));
    drivers.push(new VmPlatform(new AwsCloud(name, parent), onAws, plan, parent));
  }
  const onGcp = vmRegions("gcp", (region) => region.gcp);
  if (onGcp.size > 0) {
    const { GcpCloud } = load<typeof import("./gcp/gcpCloud")>("gcp", () => require("./gcp/gcpCloud"));
    drivers.push(new VmPlatform(new GcpCloud(name, parent), onGcp, plan, parent));
  }
  return drivers;
}
