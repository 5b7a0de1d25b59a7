/*
 * How soon a server gives up on a connection whose peer went silent: a link cut without a reset (a
 * partition, a machine gone) is noticed only by unanswered pings. nats-server pings every route and
 * gateway each `ping_interval` (gateways at most every 15 s, routes every 30 s) and closes it when
 * `ping_max` pings are out and another is due (client.go, processPingTimer): after between
 * ping_interval × ping_max and ping_interval × (ping_max + 1). Its defaults (2 minutes, 2) leave a
 * region's gateway to a silent server for 30 to 45 s, and every write through it waits as long.
 * The same setting applies to client connections, which are pinged only when idle.
 */
import { Duration, formatDuration, parseDuration } from "./durations";
import { integerProblem, ProblemList } from "./validation";

export interface LivenessSpec {
  /** How often each server pings its routes, gateways and idle clients (default "1s"). */
  pingInterval?: Duration;
  /** How many pings may go unanswered before the connection is closed (default 3). */
  pingMax?: number;
}

const DEFAULT_PING_INTERVAL_NS = 1e9;
const DEFAULT_PING_MAX = 3;
const MIN_PING_INTERVAL_NS = 250e6;
/** The least time a silent peer is given: see checkLiveness. */
const MIN_GIVEN_UP_MS = 2_000;
/** Beyond it the server caps gateway pings anyway. */
const MAX_PING_INTERVAL_NS = 15e9;

export function checkLiveness(given: LivenessSpec | undefined, problems: ProblemList): void {
  if (given?.pingInterval !== undefined) {
    const ns = parseDuration(given.pingInterval);
    if (typeof ns === "string") problems.add("liveness.pingInterval", ns);
    else if (ns < MIN_PING_INTERVAL_NS || ns > MAX_PING_INTERVAL_NS) {
      problems.add(
        "liveness.pingInterval",
        `${formatDuration(ns)} is outside ${formatDuration(MIN_PING_INTERVAL_NS)} to ` +
          `${formatDuration(MAX_PING_INTERVAL_NS)}: shorter pings busy every connection, and the server ` +
          `pings gateways every 15 s at most`,
      );
    }
  }
  if (given?.pingMax !== undefined) problems.check("liveness.pingMax", integerProblem(given.pingMax, 1, 10));
  // A ping waits behind what the connection has queued (client.go, sendPing), and an outbound
  // gateway is closed as stale when its peer's INFO takes as long: a busy link needs slack.
  if (problems.isEmpty && silentPeerGivenUpMs(given) < MIN_GIVEN_UP_MS) {
    problems.add(
      "liveness",
      `pingInterval × (pingMax + 1) is ${silentPeerGivenUpMs(given)} ms: at least ${MIN_GIVEN_UP_MS} ms, ` +
        "or a busy route or gateway is closed while its answer waits behind queued messages",
    );
  }
}

const intervalNs = (given: LivenessSpec | undefined): number =>
  given?.pingInterval !== undefined
    ? (parseDuration(given.pingInterval) as number)
    : DEFAULT_PING_INTERVAL_NS;

/** The servers' ping settings, as their config spells them. */
export function pingSettings(given: LivenessSpec | undefined): { ping_interval: string; ping_max: number } {
  return { ping_interval: formatDuration(intervalNs(given)), ping_max: given?.pingMax ?? DEFAULT_PING_MAX };
}

/** The longest a silent peer keeps its connection: ping_interval × (ping_max + 1), in ms. */
export function silentPeerGivenUpMs(given: LivenessSpec | undefined): number {
  return (intervalNs(given) / 1e6) * ((given?.pingMax ?? DEFAULT_PING_MAX) + 1);
}
