/*
 * The drivers of the platforms off this machine, each loaded only when a region needs it: their
 * clouds' Pulumi packages are optional peers, so a local-only program runs without them.
 */
import * as pulumi from "@pulumi/pulumi";
import { SuperClusterPlan } from "../model/plan";
import type { AwsRegionArgs } from "./aws/args";
import type { RegionArgs } from "./checks";
import { PlatformDriver } from "./driver";
import type { GcpRegionArgs } from "./gcp/args";
import type { KubernetesRegionArgs } from "./kubernetes/args";

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
  const vmRegions = <A>(platform: "aws" | "gcp") =>
    regionsOn(platform, regions, (region, i) => ({
      args: region[platform] as A,
      zones: region.zones as string[],
      octet: VM_FIRST_OCTET + i,
    }));
  const onAws = vmRegions<AwsRegionArgs>("aws");
  if (onAws.size > 0) {
    const { AwsPlatform } = load<typeof import("./aws/awsPlatform")>("aws", () =>
      require("./aws/awsPlatform"),
    );
    drivers.push(new AwsPlatform(name, onAws, plan, parent));
  }
  const onGcp = vmRegions<GcpRegionArgs>("gcp");
  if (onGcp.size > 0) {
    const { GcpPlatform } = load<typeof import("./gcp/gcpPlatform")>("gcp", () =>
      require("./gcp/gcpPlatform"),
    );
    drivers.push(new GcpPlatform(name, onGcp, plan, parent));
  }
  return drivers;
}
