/*
 * The platform checks of a super-cluster, at preview and before anything is created: each
 * platform's own args, and the rules of mixing platforms. Pure.
 */
import { SuperClusterPlan } from "../model/plan";
import { RegionSpec } from "../model/topology";
import { ProblemList, problemList } from "../model/validation";
import { usableStoreBytes } from "../model/serverConfig";
import { AwsRegionArgs, checkAwsNames, checkAwsRegion } from "./aws/args";
import { checkGcpNames, checkGcpRegion, GcpRegionArgs } from "./gcp/args";
import { checkKubernetesRegion, checkSharedClusters, KubernetesRegionArgs } from "./kubernetes/args";
import { checkLocalArgs, LocalPlatformArgs } from "./local/args";
import { checkRollingTimeout } from "./rollingTimeout";
import { storeVolumeBytes } from "./storeVolumes";

/** A region, with the args of the platform it runs on. */
export interface RegionArgs extends RegionSpec {
  /** With `platform: "k8s"`: the region's Kubernetes cluster and how its servers are exposed. */
  k8s?: KubernetesRegionArgs;
  /** With `platform: "aws"`: the AWS region, the servers' public names, instance and volume sizes. */
  aws?: AwsRegionArgs;
  /** With `platform: "gcp"`: the GCP region, the servers' public names, machine and disk sizes. */
  gcp?: GcpRegionArgs;
}

export interface PlatformsSpec {
  regions: RegionArgs[];
  local?: LocalPlatformArgs;
  security?: { mode?: string; tls?: unknown };
  jetstream?: { maxFileStore?: number };
  rollingTimeout?: unknown;
}

const IMPLEMENTED = ["local", "k8s", "aws", "gcp"];

/** `name` is the super-cluster's: what its resources are named after. */
export function checkPlatforms(
  spec: PlatformsSpec,
  plan: SuperClusterPlan,
  name: string,
  /** The Pulumi stack: part of the ids that are unique per cloud project. */
  stack: string,
): void {
  const problems = problemList();
  const platformOf = (region: RegionArgs) => region.platform ?? "local";
  const remote = spec.regions.filter((r) => platformOf(r) !== "local");
  const servers = plan.clusters.flatMap((c) => c.servers);
  // Firewalls admit each server's public address when every platform reserves them in advance.
  const peers = spec.regions.every((r) => ["aws", "gcp"].includes(platformOf(r)))
    ? servers.length
    : undefined;
  spec.regions.forEach((region, i) => {
    const at = `regions[${i}]`;
    const platform = platformOf(region);
    if (!IMPLEMENTED.includes(platform)) {
      problems.add(
        `${at}.platform`,
        `platform "${platform}" is not available yet; use ${IMPLEMENTED.join(", ")}`,
      );
    }
    if (platform === "local" && remote.length > 0) {
      problems.add(
        `${at}.platform`,
        `local servers listen on this machine's loopback, which servers on ${remote[0].platform} cannot ` +
          `reach through gateways: run every region on local, or none`,
      );
    }
    const hosted = servers.filter((s) => s.region === region.name).map((s) => s.name);
    if (platform === "k8s") checkKubernetesRegion(region, at, hosted, problems);
    if (platform === "aws") checkAwsRegion(region, at, hosted, peers, problems);
    if (platform === "gcp") checkGcpRegion(region, at, hosted, problems);
    checkFileStore(spec.jetstream?.maxFileStore, region, at, problems);
  });
  if (remote.length > 0) {
    if (spec.security?.mode !== "operator") {
      problems.add(
        "security.mode",
        `servers on ${remote[0].platform} take accounts and mappings as signed JWTs pushed over NATS: set security.mode to "operator"`,
      );
    }
    if (spec.security?.tls === false) {
      problems.add(
        "security.tls",
        `links between clouds cross networks you do not own: keep TLS on for ${remote[0].platform}`,
      );
    }
  }
  const gcpRegions = spec.regions.flatMap((region, i) =>
    platformOf(region) === "gcp" && region.gcp !== undefined
      ? [{ at: `regions[${i}]`, name: region.name, args: region.gcp }]
      : [],
  );
  checkRollingTimeout(spec.rollingTimeout, problems);
  checkGcpNames(name, stack, gcpRegions, servers, problems);
  checkAwsNames(
    name,
    spec.regions.flatMap((region, i) =>
      platformOf(region) === "aws" ? [{ at: `regions[${i}]`, name: region.name }] : [],
    ),
    servers,
    problems,
  );
  checkSharedClusters(spec.regions, problems);
  checkLocalArgs(spec.regions, spec.local, problems);
  problems.throwIfAny("super-cluster");
}

/** The file store limit given must fit every volume it applies to (what JetStream may fill of it). */
function checkFileStore(
  maxFileStore: number | undefined,
  region: RegionArgs,
  at: string,
  problems: ProblemList,
): void {
  const volume = storeVolumeBytes(region);
  if (maxFileStore === undefined || volume === undefined || !Number.isFinite(volume)) return;
  const usable = usableStoreBytes(volume);
  if (maxFileStore > usable) {
    const field = region.platform === "k8s" ? "k8s.storage.size" : `${region.platform}.volumeSize`;
    const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
    problems.add(
      "jetstream.maxFileStore",
      `${gib(maxFileStore)} is more than JetStream may fill of region ${region.name}'s volumes ` +
        `(${gib(usable)}: 90% of ${gib(volume)}, the rest for the file system): raise ${at}.${field} or lower jetstream.maxFileStore`,
    );
  }
}
