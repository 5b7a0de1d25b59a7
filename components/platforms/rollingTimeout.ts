/*
 * How long a change waits for each server to be back, healthy and caught up before `up` stops:
 * long enough for a machine to boot and for the server to catch up on what it holds. Pure.
 */
import { Duration, formatDuration, parseDuration } from "../model/durations";
import { ProblemList } from "../model/validation";

export const DEFAULT_ROLLING_TIMEOUT: Duration = "15m";
/** A server's machine checks for new files every 5 min at most; a restart and a catch-up come after. */
const MIN_NS = 10 * 60e9;
const MAX_NS = 24 * 3600e9;

/** The timeout in milliseconds; the default when `given` is undefined. Check it first. */
export function rollingTimeoutMs(given: Duration | undefined): number {
  return (parseDuration(given ?? DEFAULT_ROLLING_TIMEOUT) as number) / 1e6;
}

export function checkRollingTimeout(given: unknown, problems: ProblemList): void {
  if (given === undefined) return;
  const ns = parseDuration(given as Duration);
  if (typeof ns === "string") {
    problems.add("rollingTimeout", ns);
  } else if (ns < MIN_NS || ns > MAX_NS) {
    problems.add(
      "rollingTimeout",
      `${formatDuration(ns)} is outside ${formatDuration(MIN_NS)} to ${formatDuration(MAX_NS)}: each server ` +
        "may take up to 5 minutes to see new files, then restart and catch up",
    );
  }
}
