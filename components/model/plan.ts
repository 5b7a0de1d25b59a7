import { nameProblem, serverName } from "./names";
import {
  DEFAULT_SERVERS_PER_REGION,
  DEFAULT_STRETCH_NAME,
  DEFAULT_ZONE_COUNT,
  Platform,
  PLATFORMS,
  RegionSpec,
  TopologySpec,
} from "./topology";
import { integerProblem, ProblemList, problemList } from "./validation";

export const MAX_SERVERS_PER_REGION = 15;
export const MIN_STRETCH_REGIONS = 3;

export interface ServerPlan {
  name: string;
  cluster: string;
  /** The region the server sits in; for a stretch server, the region that hosts it. */
  region: string;
  platform: Platform;
  zone: string;
  stretch: boolean;
  /** JetStream placement tags: `region:`, `cloud:`, `az:`, and `stretch` on stretch servers. */
  tags: string[];
}

export interface ClusterPlan {
  name: string;
  /** The region of a regional cluster; undefined for the stretch cluster. */
  region?: string;
  stretch: boolean;
  servers: ServerPlan[];
  /** Stretch cluster: the region whose platform may take its server down on its own (StretchSpec). */
  drainRegion?: string;
}

export interface SuperClusterPlan {
  clusters: ClusterPlan[];
}

/** Validates a topology and plans its clusters and servers; throws InvalidSpecError naming every bad field. */
export function planSuperCluster(spec: TopologySpec): SuperClusterPlan {
  const problems = problemList();
  checkRegions(spec, problems);
  checkStretch(spec, problems);
  problems.throwIfAny("topology");

  const regional = spec.regions.map(planRegion);
  return { clusters: spec.stretch ? [...regional, planStretch(spec, regional)] : regional };
}

export function allServers(plan: SuperClusterPlan): ServerPlan[] {
  return plan.clusters.flatMap((c) => c.servers);
}

function checkRegions(spec: TopologySpec, problems: ProblemList): void {
  if (!Array.isArray(spec.regions) || spec.regions.length === 0) {
    problems.add("regions", "must list at least one region");
    return;
  }
  const seen = new Set<string>();
  const zoneOwner = new Map<string, string>();
  spec.regions.forEach((region, i) => {
    const at = `regions[${i}]`;
    problems.check(`${at}.name`, nameProblem(region.name));
    if (seen.has(region.name)) {
      problems.add(`${at}.name`, `duplicate region "${region.name}": region names must be unique`);
    }
    seen.add(region.name);
    if (region.platform !== undefined && !PLATFORMS.includes(region.platform)) {
      problems.add(
        `${at}.platform`,
        `unknown platform "${region.platform}": use one of ${PLATFORMS.join(", ")}`,
      );
    }
    if (region.servers !== undefined) {
      problems.check(`${at}.servers`, integerProblem(region.servers, 1, MAX_SERVERS_PER_REGION));
    }
    if (region.zones !== undefined) checkZones(region.zones, `${at}.zones`, problems);
    (Array.isArray(region.zones) ? region.zones : []).forEach((zone, j) => {
      const owner = zoneOwner.get(zone);
      if (owner !== undefined && owner !== region.name) {
        problems.add(
          `${at}.zones[${j}]`,
          `zone "${zone}" is already a zone of region "${owner}": zone names are global, since stream ` +
            `replicas are spread by unique az: tags across the whole super-cluster`,
        );
      }
      zoneOwner.set(zone, owner ?? region.name);
    });
  });
}

function checkZones(zones: string[], at: string, problems: ProblemList): void {
  if (!Array.isArray(zones) || zones.length === 0) {
    problems.add(at, "must list at least one zone, or be left out for the default");
    return;
  }
  zones.forEach((zone, j) => problems.check(`${at}[${j}]`, nameProblem(zone)));
  if (new Set(zones).size !== zones.length) problems.add(at, "zones must be unique");
}

function checkStretch(spec: TopologySpec, problems: ProblemList): void {
  const stretch = spec.stretch;
  if (stretch === undefined) return;
  const name = stretch.name ?? DEFAULT_STRETCH_NAME;
  problems.check("stretch.name", nameProblem(name));
  const regionNames = new Set((spec.regions ?? []).map((r) => r.name));
  if (regionNames.has(name)) {
    problems.add("stretch.name", `"${name}" is already a region name: give the stretch cluster its own name`);
  }
  if (!Array.isArray(stretch.regions)) {
    problems.add("stretch.regions", "must list the regions that host a stretch server");
    return;
  }
  if (stretch.regions.length < MIN_STRETCH_REGIONS) {
    problems.add(
      "stretch.regions",
      `a stretch cluster needs at least ${MIN_STRETCH_REGIONS} regions so that RAFT keeps a majority ` +
        `when one region is lost (got ${stretch.regions.length}: ${stretch.regions.join(", ") || "none"})`,
    );
  }
  if (new Set(stretch.regions).size !== stretch.regions.length) {
    problems.add("stretch.regions", "regions must be unique: the stretch cluster has one server per region");
  }
  stretch.regions.forEach((region, i) => {
    if (!regionNames.has(region)) {
      problems.add(
        `stretch.regions[${i}]`,
        `"${region}" is not one of the regions (${[...regionNames].join(", ")}): add it to regions first`,
      );
    }
  });
  if (stretch.drainRegion !== undefined && !stretch.regions.includes(stretch.drainRegion)) {
    problems.add(
      "stretch.drainRegion",
      `${JSON.stringify(stretch.drainRegion)} is not one of stretch.regions (${stretch.regions.join(", ")})`,
    );
  }
}

function zonesOf(region: RegionSpec): readonly string[] {
  return region.zones ?? Array.from({ length: DEFAULT_ZONE_COUNT }, (_, i) => `${region.name}-az${i + 1}`);
}

function serverPlan(
  cluster: string,
  index: number,
  region: RegionSpec,
  zone: string,
  stretch: boolean,
): ServerPlan {
  const platform = region.platform ?? "local";
  const tags = [`region:${region.name}`, `cloud:${platform}`, `az:${zone}`];
  return {
    name: serverName(cluster, index),
    cluster,
    region: region.name,
    platform,
    zone,
    stretch,
    tags: stretch ? [...tags, "stretch"] : tags,
  };
}

function planRegion(region: RegionSpec): ClusterPlan {
  const count = region.servers ?? DEFAULT_SERVERS_PER_REGION;
  const zones = zonesOf(region);
  const servers = Array.from({ length: count }, (_, i) =>
    serverPlan(region.name, i, region, zones[i % zones.length], false),
  );
  return { name: region.name, region: region.name, stretch: false, servers };
}

function planStretch(spec: TopologySpec, regional: ClusterPlan[]): ClusterPlan {
  const name = spec.stretch?.name ?? DEFAULT_STRETCH_NAME;
  const servers = (spec.stretch?.regions ?? []).map((regionName, i) => {
    const region = spec.regions.find((r) => r.name === regionName) as RegionSpec;
    const zones = zonesOf(region);
    // The next zone in the region's round robin, so the stretch server shares a zone with as few
    // regional servers as possible.
    const regionalCount = regional.find((c) => c.name === regionName)?.servers.length ?? 0;
    return serverPlan(name, i, region, zones[regionalCount % zones.length], true);
  });
  const drainRegion = spec.stretch?.drainRegion ?? spec.stretch?.regions[0];
  return { name, stretch: true, servers, ...(drainRegion !== undefined ? { drainRegion } : {}) };
}
