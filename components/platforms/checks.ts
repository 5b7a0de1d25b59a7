/*
 * The platform checks of a super-cluster, at preview and before anything is created: each
 * platform's own args (its entry in the registry), and the rules of mixing platforms. Makes nothing.
 */
import { SuperClusterPlan } from "../model/plan";
import { ProblemList, problemList } from "../model/validation";
import { usableStoreBytes } from "../model/serverConfig";
import { LocalPlatformArgs } from "./local/args";
import { PLATFORMS, platformOf, RegionArgs, regionsByPlatform, storeVolumeBytes } from "./registry";
import { checkRollingTimeout } from "./rollingTimeout";

export interface PlatformsSpec {
  regions: RegionArgs[];
  local?: LocalPlatformArgs;
  security?: { mode?: string; tls?: unknown };
  jetstream?: { maxFileStore?: number };
  rollingTimeout?: unknown;
}

/** `name` is the super-cluster's: what its resources are named after. */
export function checkPlatforms(
  spec: PlatformsSpec,
  plan: SuperClusterPlan,
  name: string,
  /** The Pulumi stack: part of the ids that are unique per cloud project. */
  stack: string,
): void {
  const problems = problemList();
  const remote = spec.regions.filter((r) => platformOf(r) !== "local");
  const servers = plan.clusters.flatMap((c) => c.servers);
  // Firewalls admit each server's public address when every platform reserves them in advance.
  const peers = spec.regions.every((r) => PLATFORMS[platformOf(r)]?.reservesAddresses)
    ? servers.length
    : undefined;
  spec.regions.forEach((region, i) => {
    const at = `regions[${i}]`;
    const platform = platformOf(region);
    if (!(platform in PLATFORMS)) {
      problems.add(
        `${at}.platform`,
        `platform "${platform}" is not available yet; use ${Object.keys(PLATFORMS).join(", ")}`,
      );
    }
    if (platform === "local" && remote.length > 0) {
      problems.add(
        `${at}.platform`,
        `local servers listen on this machine's loopback, which servers on ${remote[0].platform} cannot ` +
          `reach through gateways: run every region on local, or none`,
      );
    }
    checkFileStore(spec.jetstream?.maxFileStore, region, at, problems);
  });
  const context = { superCluster: name, stack, regions: spec.regions, servers, local: spec.local, peers };
  const byPlatform = regionsByPlatform(spec.regions, plan);
  for (const [platform, entry] of Object.entries(PLATFORMS)) {
    // The local platform's args are checked with no region on it too: they are the stack's.
    const on = byPlatform.get(platform as keyof typeof PLATFORMS) ?? [];
    if (on.length > 0 || platform === "local") entry.check(on, context, problems);
  }
  if (remote.length > 0) {
    if (spec.security?.mode !== "operator") {
      problems.add(
        "security.mode",
        `servers on ${remote[0].platform} take accounts and their links as signed JWTs pushed over NATS: set security.mode to "operator"`,
      );
    }
    if (spec.security?.tls === false) {
      problems.add(
        "security.tls",
        `links between clouds cross networks you do not own: keep TLS on for ${remote[0].platform}`,
      );
    }
  }
  checkRollingTimeout(spec.rollingTimeout, problems);
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
    const field = PLATFORMS[platformOf(region)]?.volumeField;
    const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
    problems.add(
      "jetstream.maxFileStore",
      `${gib(maxFileStore)} is more than JetStream may fill of region ${region.name}'s volumes ` +
        `(${gib(usable)}: 90% of ${gib(volume)}, the rest for the file system): raise ${at}.${field} or lower jetstream.maxFileStore`,
    );
  }
}
