import { Duration } from "../../model/durations";
import { ServerPlan } from "../../model/plan";
import { PortBases, RegionSpec } from "../../model/topology";
import { ProblemList } from "../../model/validation";
import { checkLocalPorts } from "./ports";
import { checkLatency } from "./latencyProxyPlan";

/** Where and how the servers of the `local` platform run: processes on this machine. */
export interface LocalPlatformArgs {
  /** Absolute directory for the config, store and log of every local server of this stack. */
  dataDir: string;
  /** First port of each kind on loopback; local server k (0-based) uses base + k. */
  ports?: Partial<PortBases>;
  /**
   * `loopback` (default): every server on 127.0.0.1. `namespaces`: each region in a network
   * namespace of its own, on its own 127.x address, so that `partition` cuts real links; needs root.
   */
  network?: "loopback" | "namespaces";
  /** `namespaces` only: the second octet of the stack's 127.<octet>.0.0/16 (default from dataDir). */
  networkOctet?: number;
  /**
   * `namespaces` only: a delay added to each direction of every link between regions (gateways and
   * the stretch cluster's routes), e.g. "40ms", by a proxy (toxiproxy) in each region's namespace.
   */
  latency?: Duration;
  /** Default: `TOXIPROXY_BIN`, the project's `.tools/bin/toxiproxy-server`, then PATH. */
  toxiproxyBinary?: string;
  /** Default: `NATS_SERVER_BIN`, the project's `.tools/bin/nats-server`, then PATH. */
  natsServerBinary?: string;
  startTimeoutMs?: number;
}

/** Adds a problem for each bad field of `local`, when any region runs on this machine. */
export function checkLocalArgs(
  regions: RegionSpec[],
  servers: ServerPlan[],
  local: LocalPlatformArgs | undefined,
  problems: ProblemList,
): void {
  checkLocalPorts(local?.ports, servers, problems);
  const network = local?.network;
  if (network !== undefined && network !== "loopback" && network !== "namespaces") {
    problems.add("local.network", `must be "loopback" or "namespaces" (got ${JSON.stringify(network)})`);
  }
  if (local?.latency !== undefined && network !== "namespaces") {
    problems.add(
      "local.latency",
      'delays the links between region namespaces: set local.network to "namespaces", or drop latency',
    );
  } else if (local?.latency !== undefined) {
    checkLatency(local.latency, "local.latency", problems);
  }
  if (regions.some((r) => (r.platform ?? "local") === "local") && local === undefined) {
    problems.add(
      "local.dataDir",
      "local servers need a data directory: set local.dataDir to an absolute path",
    );
  }
}
