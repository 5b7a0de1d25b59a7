/** Where a cluster's servers run. `local` runs them as processes on loopback. */
export type Platform = "local" | "aws" | "gcp" | "k8s";

export const PLATFORMS: readonly Platform[] = ["local", "aws", "gcp", "k8s"];

/** A regional cluster: one NATS cluster (and gateway) per region. */
export interface RegionSpec {
  /** Region name; also the cluster and gateway name, and a token in stream names and subjects. */
  name: string;
  /** Where the region's servers run (default `local`). */
  platform?: Platform;
  /** Number of servers in the regional cluster (default 3). */
  servers?: number;
  /**
   * Availability zones the servers are spread over, round robin (default `<region>-az1` to
   * `-az3`). Zone names are global: JetStream's `unique_tag` compares them across the super-cluster.
   */
  zones?: string[];
}

/** A cluster stretched over several regions, one server in each: RAFT across regions. */
export interface StretchSpec {
  /** Cluster name (default `stretch`). */
  name?: string;
  /** The regions that host one stretch server each; at least 3. */
  regions: string[];
  /**
   * The one region whose platform may take its stretch server down on its own (default the first
   * of `regions`): on Kubernetes, node drains there evict it one at a time, and in the other regions
   * they wait for you (a disruption budget of 0), since two stretch servers down at once stop every
   * RAFT group the cluster holds. Change it to drain another region's nodes.
   */
  drainRegion?: string;
}

/** A port of each kind a server listens on (or, on `local`, the first of each kind's range). */
export interface PortBases {
  client: number;
  cluster: number;
  gateway: number;
  monitor: number;
}

export interface TopologySpec {
  regions: RegionSpec[];
  stretch?: StretchSpec;
}

export const DEFAULT_SERVERS_PER_REGION = 3;
export const DEFAULT_ZONE_COUNT = 3;
export const DEFAULT_STRETCH_NAME = "stretch";
