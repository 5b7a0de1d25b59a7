/*
 * What runs beside the servers and mends sources after a partition or a restart without anyone
 * running `pulumi up`: it lists the sourcing streams of the accounts it watches, samples each source
 * and mirror against its origin, and when one is stuck while its origin has a leader
 * (model/sourceProgress.ts), asks the sourcing stream's leader to step down, the remedy nats-server
 * has (stream.go: a new leader sets every source up again at once, from the position it stored).
 */
import type { StreamInfo, StreamSource } from "@nats-io/jetstream";
import { isStuck, movedSince, ProgressRules, Remedies, SourceSample } from "../model/sourceProgress";
import { ConnectionSpec, session } from "./connection";
import { stepDownOnce } from "./leaderStepDown";

/** An account a watcher reads, as its user of that account. */
export interface WatchedAccount {
  account: string;
  connection: ConnectionSpec;
  /**
   * The clusters whose sourcing streams it mends (by placement): every one when left out. The
   * account is read for origins either way.
   */
  clusters?: string[];
}

export interface WatcherConfig {
  /** Where it runs, for its log. */
  region: string;
  accounts: WatchedAccount[];
  /** How often every source is sampled (ms). */
  intervalMs: number;
  rules: ProgressRules;
}

export const DEFAULT_WATCH_INTERVAL_MS = 1_000;
/**
 * How long one of its connects or requests may wait, unless its config says otherwise: an origin
 * out of reach must not hold a check up for the default 10 s, or a heal would be noticed that much
 * later.
 */
const WATCH_TIMEOUT_MS = 2_000;

/** How often the sourcing streams are listed anew: listing gathers every stream's info at the meta leader. */
export const LIST_INTERVAL_MS = 10_000;

/** How an origin stands, as one look tells. */
interface OriginState {
  led: boolean;
  lastSeq: number;
  empty: boolean;
  /** The subjects it stores as its config names them; undefined when it also sources or mirrors. */
  subjects: string[] | undefined;
}

/** A source or the mirror of a stream, as its stream's info reports it. */
interface SourceState {
  source: StreamSource;
  /** `seq` (nats-server 2.15): the origin sequence of the last message stored from it. */
  stored: number | undefined;
  lag: number;
  stalled: boolean;
}

/** nats-server's error of a source whose flow control stalled (stream.go). */
const STALLED_ON_FLOW_CONTROL = 10228;
/** Samples kept per source: enough to look back over the grace. */
const KEPT_SAMPLES = 30;

/**
 * The account a source reads from: its own, or the one whose API it reaches through an import. The
 * stack's links name an account's imported API after it (`$JS.<account>.API`, regionAccounts.ts).
 */
function originAccount(source: StreamSource, account: string): string {
  const api = source.external?.api;
  if (api === undefined) return account;
  return /^\$JS\.(.+)\.API$/.exec(api)?.[1] ?? api;
}

/** One watcher's memory of the sources it samples, and the remedies it applied. */
export class SourceWatch {
  private readonly samples = new Map<string, SourceSample[]>();
  private readonly remedied = new Map<string, Remedies>();
  private readonly accounts: WatchedAccount[];
  private readonly connections: Map<string, ConnectionSpec>;
  /** Per account, the sourcing streams it listed last, and when. */
  private readonly listed = new Map<string, { names: string[]; at: number }>();
  /** Streams it cannot mend, said once. */
  private readonly unmendable = new Set<string>();

  constructor(
    private readonly config: Pick<WatcherConfig, "accounts" | "rules">,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.accounts = config.accounts.map((a) => ({
      ...a,
      connection: { connectTimeoutMs: WATCH_TIMEOUT_MS, requestTimeoutMs: WATCH_TIMEOUT_MS, ...a.connection },
    }));
    this.connections = new Map(this.accounts.map((a) => [a.account, a.connection]));
  }

  /** Samples every sourcing stream once and mends the stuck ones; what is out of reach is skipped. */
  async check(now = Date.now()): Promise<void> {
    const origins = new Map<string, Promise<OriginState | undefined>>();
    await Promise.all(
      this.accounts.map(async (watched) => {
        const streams = await this.sourcingStreams(watched, now).catch((error: unknown) => {
          this.log(`${watched.account}: out of reach: ${(error as Error).message}`);
          return [];
        });
        await Promise.all(
          streams.map((info) =>
            this.checkStream(watched, info, now, origins).catch((error: unknown) =>
              this.log(`${watched.account}/${info.config.name}: not checked: ${(error as Error).message}`),
            ),
          ),
        );
      }),
    );
  }

  /**
   * The account's sourcing streams: listed anew every LIST_INTERVAL_MS, in between (and while
   * listing fails: it needs the meta leader, which a region cut off has not) those listed last,
   * each asked of its own leader.
   */
  private async sourcingStreams(watched: WatchedAccount, now: number): Promise<StreamInfo[]> {
    const last = this.listed.get(watched.account);
    if (last === undefined || now - last.at >= LIST_INTERVAL_MS) {
      try {
        const found = await sourcingStreams(watched);
        this.listed.set(watched.account, { names: found.map((info) => info.config.name), at: now });
        return found;
      } catch (error) {
        this.log(`${watched.account}: streams not listed: ${(error as Error).message}`);
      }
    }
    const { jsm } = await session(watched.connection);
    const known = await Promise.all(
      (last?.names ?? []).map((name) => jsm.streams.info(name).catch(() => undefined)),
    );
    return known.filter((info) => info !== undefined);
  }

  private async checkStream(
    watched: WatchedAccount,
    info: StreamInfo,
    now: number,
    origins: Map<string, Promise<OriginState | undefined>>,
  ): Promise<void> {
    const name = `${watched.account}/${info.config.name}`;
    // A follower answers for a stream without a leader, with no sources: nothing to judge by.
    if (info.cluster?.leader === undefined) return;
    if (info.config.num_replicas <= 1) {
      // Its leader has no peer to hand over to: a step-down changes nothing.
      if (!this.unmendable.has(name)) this.log(`${name}: not watched: R1, a leader step-down cannot mend it`);
      this.unmendable.add(name);
      return;
    }
    const stuck: string[] = [];
    for (const { source, stored, lag, stalled } of sourcesOf(info)) {
      const account = originAccount(source, watched.account);
      const origin = `${account}/${source.name}`;
      const connection = this.connections.get(account);
      if (connection === undefined) continue;
      if (!origins.has(origin)) origins.set(origin, originState(connection, source.name));
      const state = await origins.get(origin);
      const key = `${name} from ${origin}`;
      const before = this.samples.get(key) ?? [];
      const comparable =
        state === undefined ? before.at(-1)?.stored !== undefined : takesAll(source, state.subjects);
      const sample: SourceSample = {
        at: now,
        stored: comparable ? stored : undefined,
        lag,
        originLed: state?.led ?? false,
        originLastSeq: state?.lastSeq ?? before.at(-1)?.originLastSeq ?? 0,
        originEmpty: state?.empty ?? false,
        stalledOnFlowControl: stalled,
      };
      const remedied = this.remedied.get(key);
      if (remedied !== undefined && movedSince(remedied, sample)) this.remedied.delete(key);
      const kept = [...before, sample].slice(-KEPT_SAMPLES);
      this.samples.set(key, kept);
      if (isStuck(kept, this.config.rules, this.remedied.get(key))) stuck.push(key);
    }
    if (stuck.length === 0) return;
    await stepDownOnce({ name: info.config.name, connection: watched.connection });
    this.log(`${name}: leader asked to step down: no progress on ${stuck.join(", ")}`);
    for (const key of stuck) {
      const last = this.samples.get(key)?.at(-1) as SourceSample;
      const count = (this.remedied.get(key)?.count ?? 0) + 1;
      this.remedied.set(key, { count, lastAt: now, stored: last.stored, lag: last.lag });
      // The new leader starts the sources afresh: judge them from there.
      this.samples.delete(key);
    }
  }
}

/** The account's streams that source or mirror, placed in one of the watched clusters. */
async function sourcingStreams(watched: WatchedAccount): Promise<StreamInfo[]> {
  const { jsm } = await session(watched.connection);
  const found: StreamInfo[] = [];
  for await (const info of jsm.streams.list()) {
    if (info.config.mirror === undefined && (info.config.sources ?? []).length === 0) continue;
    const cluster = info.config.placement?.cluster ?? info.cluster?.name;
    if (watched.clusters === undefined || (cluster !== undefined && watched.clusters.includes(cluster))) {
      found.push(info);
    }
  }
  return found;
}

/** Each source and the mirror of a stream: how far it stored its origin, and the server's verdict. */
function sourcesOf(info: StreamInfo): SourceState[] {
  const stalled = (source: { error?: { err_code?: number } }) =>
    source.error?.err_code === STALLED_ON_FLOW_CONTROL;
  const mirror = info.config.mirror;
  if (mirror !== undefined) {
    // A mirror stores at its origin's sequences: its own last one is how far it got.
    const state = info.mirror;
    return [
      { source: mirror, stored: info.state.last_seq, lag: state?.lag ?? 0, stalled: stalled(state ?? {}) },
    ];
  }
  const reported = new Map((info.sources ?? []).map((s) => [s.name, s]));
  return (info.config.sources ?? []).map((source) => {
    const state = reported.get(source.name);
    return {
      source,
      stored: (state as { seq?: number } | undefined)?.seq,
      lag: state?.lag ?? 0,
      stalled: stalled(state ?? {}),
    };
  });
}

async function originState(connection: ConnectionSpec, origin: string): Promise<OriginState | undefined> {
  const { jsm } = await session(connection);
  const info = await jsm.streams.info(origin).catch(() => undefined);
  if (info === undefined) return undefined;
  const copies = info.config.mirror !== undefined || (info.config.sources ?? []).length > 0;
  return {
    led: info.cluster?.leader !== undefined,
    lastSeq: info.state.last_seq,
    empty: info.state.messages === 0,
    subjects: copies ? undefined : (info.config.subjects ?? []),
  };
}

const TAKES_EVERYTHING = [">", ""];

/**
 * Whether `source` takes every message of its origin, so that how far it stored compares with the
 * origin's last sequence: no filter (or `>`), or filters naming each subject of an origin that
 * stores only its own subjects.
 */
function takesAll(source: StreamSource, originSubjects: string[] | undefined): boolean {
  const filters = [
    ...(source.filter_subject !== undefined ? [source.filter_subject] : []),
    ...(source.subject_transforms ?? []).map((t) => t.src ?? ""),
  ];
  if (filters.length === 0 || filters.some((f) => TAKES_EVERYTHING.includes(f))) return true;
  return (
    originSubjects !== undefined &&
    originSubjects.length > 0 &&
    originSubjects.every((subject) => filters.includes(subject))
  );
}

/** Checks every `intervalMs` until `stopped` says so. */
export async function watchSources(
  watch: SourceWatch,
  options: { intervalMs: number; stopped: () => boolean },
): Promise<void> {
  while (!options.stopped()) {
    await watch.check();
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
