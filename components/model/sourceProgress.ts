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
  /** Whether the origin has a leader: without one nothing can be delivered, and a remedy is useless. */
  originLed: boolean;
  originLastSeq: number;
  /** When the origin stored its last message (ms). */
  originLastAt: number;
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
 * Whether the source is stuck at the last of `samples` (oldest first): its origin has a leader and
 * holds messages it has not stored for longer than the grace, and it has not moved for as long.
 * A source whose origin moves on is judged anew; at one origin position it is stuck at most
 * `remediesPerPosition` times (`remedied`): one that stands still only because its stream dropped a
 * duplicate is left alone after that.
 */
export function isStuck(samples: SourceSample[], rules: ProgressRules, remedied?: Remedies): boolean {
  const last = samples[samples.length - 1];
  if (last === undefined || !last.originLed) return false;
  const spent = remedied?.originLastSeq === last.originLastSeq && remedied.count >= rules.remediesPerPosition;
  if (spent) return false;
  if (last.stalledOnFlowControl) return true;
  if (last.originLastSeq <= last.stored) return false;
  if (last.at - last.originLastAt < rules.graceMs) return false;
  // Standing still for the whole grace: a sample at least that old with the same position.
  const since = [...samples].reverse().find((s) => last.at - s.at >= rules.graceMs);
  return since !== undefined && since.stored === last.stored;
}
