/*
 * Whether a source or mirror makes no progress while its origin could serve it: the case nats-server
 * does not mend by itself for minutes (it waits 30 s for an unanswered consumer create, then backs
 * off up to 2 minutes, stream.go trySetupSourceConsumer) and sometimes not at all. `active` cannot
 * tell it: idle heartbeats keep it near 1 s while nothing is delivered, and `lag` only changes with
 * a delivered message. What tells it is how far the stream has stored the origin: a source's `seq`
 * (nats-server 2.15, the origin sequence of the last message stored from it), a mirror's own last
 * sequence, against the origin's last sequence.
 */

/** One look at a source (or mirror) and its origin. */
export interface SourceSample {
  /** When it was taken (ms). */
  at: number;
  /**
   * The origin sequence the stream has stored up to; undefined where that cannot be compared with
   * the origin's last sequence (a source that filters its origin, a server that does not report it).
   */
  stored: number | undefined;
  /**
   * The server's `lag` of the source: set with every message delivered, a duplicate the stream
   * drops included, so a change tells it moves even while `stored` does not.
   */
  lag: number;
  /** Whether the origin has a leader: without one nothing can be delivered, and a remedy is useless. */
  originLed: boolean;
  /** The origin's last sequence; while it cannot be asked, the last one known (it only grows). */
  originLastSeq: number;
  /** Whether the origin holds any message: one whose messages all expired has nothing to deliver. */
  originEmpty: boolean;
  /** nats-server's own verdict: the source stalled on flow control (err_code 10228). */
  stalledOnFlowControl: boolean;
}

export interface ProgressRules {
  /** How long a message may sit in the origin, not yet stored by a source that stands still (ms). */
  graceMs: number;
  /**
   * How long to wait after the n-th remedy of a source that still stands still, the last entry
   * repeating: a new leader's first request may be lost too (right after a heal), but a source that
   * a step-down cannot mend (its stream refuses to store) must not have its leader churned.
   */
  remedyBackoffMs: number[];
}

export const DEFAULT_PROGRESS_RULES: ProgressRules = {
  graceMs: 3_000,
  remedyBackoffMs: [0, 3_000, 10_000, 30_000, 120_000],
};

/** The remedies applied to a source since it last moved, and where it stood then. */
export interface Remedies {
  count: number;
  lastAt: number;
  stored: number | undefined;
  lag: number;
}

/** Whether the source moved since its remedies: they no longer count. */
export const movedSince = (remedies: Remedies, sample: SourceSample): boolean =>
  sample.stored !== remedies.stored || sample.lag !== remedies.lag;

/**
 * Whether the source is stuck at the last of `samples` (oldest first): its origin has a leader, and
 * already held messages the source had not stored a grace ago, and the source has not moved since
 * (neither stored nor been delivered anything). Under steady load the origin's newest message is
 * always fresh: what counts is how long the oldest unstored one has waited (messages an origin out
 * of reach took count as waiting since it went out of reach). After a remedy it waits
 * out `remedyBackoffMs` before it is stuck again.
 */
export function isStuck(samples: SourceSample[], rules: ProgressRules, remedied?: Remedies): boolean {
  const last = samples[samples.length - 1];
  if (last === undefined || !last.originLed) return false;
  if (remedied !== undefined) {
    const backoff = rules.remedyBackoffMs[Math.min(remedied.count, rules.remedyBackoffMs.length - 1)];
    if (last.at - remedied.lastAt < backoff) return false;
  }
  if (last.stalledOnFlowControl) return true;
  if (last.stored === undefined || last.originEmpty) return false;
  if (last.originLastSeq <= last.stored) return false;
  const since = [...samples].reverse().find((s) => last.at - s.at >= rules.graceMs);
  // An origin out of reach a grace ago took messages the source could not have: they waited too.
  const waited = since !== undefined && (since.originLastSeq > last.stored || !since.originLed);
  return waited && since.stored === last.stored && since.lag === last.lag;
}
