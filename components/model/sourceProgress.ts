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
  /** The origin sequence the stream has stored up to. */
  stored: number;
  /**
   * Whether it takes every subject of its origin: one that filters lags the origin's last sequence
   * by design, and only nats-server's own verdict tells it is stuck.
   */
  takesAll: boolean;
  /** Whether the origin has a leader: without one nothing can be delivered, and a remedy is useless. */
  originLed: boolean;
  /** The origin's last sequence; while it cannot be asked, the last one known (it only grows). */
  originLastSeq: number;
  /** nats-server's own verdict: the source stalled on flow control (err_code 10228). */
  stalledOnFlowControl: boolean;
}

export interface ProgressRules {
  /** How long a message may sit in the origin, not yet stored by a source that stands still (ms). */
  graceMs: number;
  /**
   * How many remedies one origin position gets: a new leader's first request may be lost too
   * (right after a heal), but a source that stays behind only because its stream dropped a
   * duplicate must not have its leader stepped down forever.
   */
  remediesPerPosition: number;
}

export const DEFAULT_PROGRESS_RULES: ProgressRules = { graceMs: 3_000, remediesPerPosition: 4 };

/** The remedies applied to a source at one origin position. */
export interface Remedies {
  originLastSeq: number;
  count: number;
}

/**
 * Whether the source is stuck at the last of `samples` (oldest first): its origin has a leader, and
 * already held messages the source had not stored a grace ago, and the source has not moved since.
 * Under steady load the origin's newest message is always fresh: what counts is how long the
 * oldest unstored one has waited. At one origin position it is stuck at most `remediesPerPosition`
 * times (`remedied`): one that stands still only because its stream dropped a duplicate is left
 * alone after that.
 */
export function isStuck(samples: SourceSample[], rules: ProgressRules, remedied?: Remedies): boolean {
  const last = samples[samples.length - 1];
  if (last === undefined || !last.originLed) return false;
  const spent = remedied?.originLastSeq === last.originLastSeq && remedied.count >= rules.remediesPerPosition;
  if (spent) return false;
  if (last.stalledOnFlowControl) return true;
  if (!last.takesAll) return false;
  const since = [...samples].reverse().find((s) => last.at - s.at >= rules.graceMs);
  return since !== undefined && since.stored === last.stored && since.originLastSeq > since.stored;
}
