/*
 * Every platform, in one place: the args it reads of a region, its preview-time checks, the size of
 * its servers' volumes, and its driver, loaded only when a region runs on it (the clouds' Pulumi
 * packages are optional peers, so a local-only program runs without them).
 */
import * as pulumi from "@pulumi/pulumi";
import { ServerPlan, SuperClusterPlan } from "../model/plan";
import { Platform, RegionSpec } from "../model/topology";
import { ProblemList } from "../model/validation";
import { AwsRegionArgs, checkAwsNames, checkAwsRegion } from "./aws/args";
import type { PlatformDriver } from "./driver";
import { checkGcpNames, checkGcpRegion, GcpRegionArgs } from "./gcp/args";
import {
  checkKubernetesRegion,
  checkSharedClusters,
  K8S_DEFAULTS,
  KubernetesRegionArgs,
  quantityBytes,
} from "./kubernetes/args";
import { checkLocalArgs, LocalPlatformArgs } from "./local/args";
import { VM_DEFAULTS, VmRegionArgs } from "./vm/args";
import type { VmRegionPlan } from "./vm/cloud";
import { VmPlatform } from "./vm/vmPlatform";

/** A region, with the args of the platform it runs on. */
export interface RegionArgs extends RegionSpec {
  /** With `platform: "k8s"`: the region's Kubernetes cluster and how its servers are exposed. */
  k8s?: KubernetesRegionArgs;
  /** With `platform: "aws"`: the AWS region, the servers' public names, instance and volume sizes. */
  aws?: AwsRegionArgs;
  /** With `platform: "gcp"`: the GCP region, the servers' public names, machine and disk sizes. */
  gcp?: GcpRegionArgs;
}

/** A region of the super-cluster on one platform. */
export interface PlacedRegion {
  region: RegionArgs;
  /** Its place in `regions`. */
  index: number;
  /** Where its args are, for messages: `regions[<index>]`. */
  at: string;
  /** Its servers, in plan order. */
  hosted: ServerPlan[];
}

/** What the checks of a platform's regions know of the whole super-cluster. */
export interface CheckContext {
  superCluster: string;
  /** The Pulumi stack: part of the ids that are unique per cloud project. */
  stack: string;
  regions: RegionArgs[];
  servers: ServerPlan[];
  local: LocalPlatformArgs | undefined;
  /** How many public addresses a firewall must admit, when every platform reserves them before. */
  peers: number | undefined;
}

export interface PlatformEntry {
  /** Whether its servers' public addresses exist before the servers (firewalls can name them). */
  reservesAddresses: boolean;
  /** The field that sizes its servers' volumes, for messages (under `regions[i]`). */
  volumeField?: string;
  /** The bytes of each store volume of a region's servers; undefined where they have none. */
  volumeBytes(region: RegionArgs): number | undefined;
  /** Adds a problem for each bad field of its regions, one by one and together. */
  check(on: PlacedRegion[], context: CheckContext, problems: ProblemList): void;
  /** The driver of its regions, whose resources are children of `parent` (the super-cluster). */
  driver(on: PlacedRegion[], context: DriverContext): PlatformDriver;
}

/** What every driver is made with. */
export interface DriverContext {
  /** The super-cluster's name: what its resources are named after. */
  name: string;
  plan: SuperClusterPlan;
  parent: pulumi.ComponentResource;
  /** The args of the local platform, the stack's own (checked to be there when a region is local). */
  local: LocalPlatformArgs | undefined;
}

const GiB = 1024 ** 3;
/** Region i of the super-cluster on a VM cloud gets the private network 10.<10 + i>.0.0/16. */
const VM_FIRST_OCTET = 10;

/** A module of an optional peer package, or a clear error naming the package to install. */
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

/** Each region on a VM cloud, as the VM driver takes it. */
function vmRegions<A extends VmRegionArgs>(
  on: PlacedRegion[],
  argsOf: (region: RegionArgs) => A | undefined,
): Map<string, VmRegionPlan<A>> {
  return new Map(
    on.map(({ region, index }) => [
      region.name,
      {
        name: region.name,
        args: argsOf(region) as A,
        zones: region.zones as string[],
        octet: VM_FIRST_OCTET + index,
      },
    ]),
  );
}

const vmVolumeBytes = (args: VmRegionArgs | undefined) => (args?.volumeSize ?? VM_DEFAULTS.volumeSize) * GiB;
const names = (servers: ServerPlan[]) => servers.map((s) => s.name);

export const PLATFORMS: Record<Platform, PlatformEntry> = {
  local: {
    reservesAddresses: false,
    volumeBytes: () => undefined,
    check: (_on, { regions, servers, local }, problems) => checkLocalArgs(regions, servers, local, problems),
    driver: (_on, { name, plan, parent, local }) => {
      const { LocalPlatform } = require("./local/localPlatform") as typeof import("./local/localPlatform");
      return new LocalPlatform(name, local as LocalPlatformArgs, plan, parent);
    },
  },
  k8s: {
    reservesAddresses: false,
    volumeField: "k8s.storage.size",
    volumeBytes: (region) => quantityBytes(region.k8s?.storage?.size ?? K8S_DEFAULTS.storageSize),
    check: (on, { regions }, problems) => {
      for (const { region, at, hosted } of on) checkKubernetesRegion(region, at, names(hosted), problems);
      checkSharedClusters(regions, problems);
    },
    driver: (on, { name, parent }) => {
      const { KubernetesPlatform } = load<typeof import("./kubernetes/kubernetesPlatform")>("k8s", () =>
        require("./kubernetes/kubernetesPlatform"),
      );
      return new KubernetesPlatform(
        name,
        new Map(on.map(({ region }) => [region.name, region.k8s as KubernetesRegionArgs])),
        parent,
      );
    },
  },
  aws: {
    reservesAddresses: true,
    volumeField: "aws.volumeSize",
    volumeBytes: (region) => vmVolumeBytes(region.aws),
    check: (on, { superCluster, servers, peers }, problems) => {
      for (const { region, at, hosted } of on) checkAwsRegion(region, at, names(hosted), peers, problems);
      checkAwsNames(
        superCluster,
        on.map(({ region, at }) => ({ at, name: region.name })),
        servers,
        problems,
      );
    },
    driver: (on, { name, plan, parent }) => {
      const { AwsCloud } = load<typeof import("./aws/awsCloud")>("aws", () => require("./aws/awsCloud"));
      return new VmPlatform(
        new AwsCloud(name, parent),
        vmRegions(on, (r) => r.aws),
        plan,
        parent,
      );
    },
  },
  gcp: {
    reservesAddresses: true,
    volumeField: "gcp.volumeSize",
    volumeBytes: (region) => vmVolumeBytes(region.gcp),
    check: (on, { superCluster, stack, servers }, problems) => {
      for (const { region, at, hosted } of on) checkGcpRegion(region, at, names(hosted), problems);
      checkGcpNames(
        superCluster,
        stack,
        on.flatMap(({ region, at }) =>
          region.gcp !== undefined ? [{ at, name: region.name, args: region.gcp }] : [],
        ),
        servers,
        problems,
      );
    },
    driver: (on, { name, plan, parent }) => {
      const { GcpCloud } = load<typeof import("./gcp/gcpCloud")>("gcp", () => require("./gcp/gcpCloud"));
      return new VmPlatform(
        new GcpCloud(name, parent),
        vmRegions(on, (r) => r.gcp),
        plan,
        parent,
      );
    },
  },
};

export const platformOf = (region: RegionSpec): Platform => region.platform ?? "local";

/** The regions of each platform that some region runs on, in the order of `regions`. */
export function regionsByPlatform(
  regions: RegionArgs[],
  plan: SuperClusterPlan,
): Map<Platform, PlacedRegion[]> {
  const servers = plan.clusters.flatMap((c) => c.servers);
  const byPlatform = new Map<Platform, PlacedRegion[]>();
  regions.forEach((region, index) => {
    const platform = platformOf(region);
    const placed = {
      region,
      index,
      at: `regions[${index}]`,
      hosted: servers.filter((s) => s.region === region.name),
    };
    byPlatform.set(platform, [...(byPlatform.get(platform) ?? []), placed]);
  });
  return byPlatform;
}

/** A driver for each platform that some region runs on, by platform. */
export function platformDrivers(
  regions: RegionArgs[],
  context: DriverContext,
): Map<Platform, PlatformDriver> {
  return new Map(
    [...regionsByPlatform(regions, context.plan)].map(([platform, on]) => [
      platform,
      PLATFORMS[platform].driver(on, context),
    ]),
  );
}

/** The bytes of each store volume of `region`'s servers; undefined where they have none (local). */
export function storeVolumeBytes(region: RegionArgs | undefined): number | undefined {
  return region === undefined ? undefined : PLATFORMS[platformOf(region)]?.volumeBytes(region);
}
