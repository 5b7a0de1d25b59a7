/*
 * What runs beside the servers and mends sources after a partition or a restart without anyone
 * running `pulumi up`: it lists the sourcing streams of the accounts it watches, samples each source
 * and mirror against its origin, and when one is stuck while its origin has a leader
 * (model/sourceProgress.ts), asks the sourcing stream's leader to step down, the remedy nats-server
 * has (stream.go: a new leader sets every source up again at once, from the position it stored).
 */
import type { StreamInfo, StreamSource } from "@nats-io/jetstream";
import { isStuck, ProgressRules, Remedies, SourceSample } from "../model/sourceProgress";
import { ConnectionSpec, session } from "./connection";
import { stepDown } from "./leaderStepDown";

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
 * How long one of its requests may wait: an origin out of reach must not hold a check up for the
 * default 10 s, or a heal would be noticed that much later.
 */
export const WATCH_REQUEST_TIMEOUT_MS = 2_000;

/** How an origin stands, as one look tells. */
interface OriginState {
  led: boolean;
  lastSeq: number;
  subjects: string[];
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
  private readonly connections: Map<string, ConnectionSpec>;
  /** Per account, the sourcing streams it listed last. */
  private readonly listed = new Map<string, string[]>();

  constructor(
    private readonly config: Pick<WatcherConfig, "accounts" | "rules">,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.connections = new Map(config.accounts.map((a) => [a.account, a.connection]));
  }

  /** Samples every sourcing stream once and mends the stuck ones; what is out of reach is skipped. */
  async check(now = Date.now()): Promise<void> {
    const origins = new Map<string, Promise<OriginState | undefined>>();
    await Promise.all(
      this.config.accounts.map(async (watched) => {
        const streams = await this.sourcingStreams(watched).catch((error: unknown) => {
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
   * The account's sourcing streams, listed anew; while that fails (listing needs the meta leader,
   * which a region cut off has not), those listed last, each asked on its own (its leader answers).
   */
  private async sourcingStreams(watched: WatchedAccount): Promise<StreamInfo[]> {
    try {
      const found = await sourcingStreams(watched);
      this.listed.set(
        watched.account,
        found.map((info) => info.config.name),
      );
      return found;
    } catch (error) {
      this.log(`${watched.account}: streams not listed: ${(error as Error).message}`);
      const { jsm } = await session(watched.connection);
      const known = await Promise.all(
        (this.listed.get(watched.account) ?? []).map((name) => jsm.streams.info(name).catch(() => undefined)),
      );
      return known.filter((info) => info !== undefined);
    }
  }

  private async checkStream(
    watched: WatchedAccount,
    info: StreamInfo,
    now: number,
    origins: Map<string, Promise<OriginState | undefined>>,
  ): Promise<void> {
    const name = `${watched.account}/${info.config.name}`;
    const stuck: string[] = [];
    for (const { source, stored, stalled } of sourcesOf(info)) {
      const account = originAccount(source, watched.account);
      const origin = `${account}/${source.name}`;
      const connection = this.connections.get(account);
      if (connection === undefined) continue;
      if (!origins.has(origin)) origins.set(origin, originState(connection, source.name));
      const state = await origins.get(origin);
      const key = `${name} from ${origin}`;
      const before = this.samples.get(key) ?? [];
      const sample: SourceSample = {
        at: now,
        stored,
        takesAll: state === undefined ? (before.at(-1)?.takesAll ?? true) : takesAll(source, state.subjects),
        originLed: state?.led ?? false,
        originLastSeq: state?.lastSeq ?? before.at(-1)?.originLastSeq ?? 0,
        stalledOnFlowControl: stalled,
      };
      const kept = [...before, sample].slice(-KEPT_SAMPLES);
      this.samples.set(key, kept);
      if (isStuck(kept, this.config.rules, this.remedied.get(key))) stuck.push(key);
    }
    if (stuck.length === 0) return;
    await stepDown({ name: info.config.name, connection: watched.connection });
    this.log(`${name}: leader asked to step down: no progress on ${stuck.join(", ")}`);
    for (const key of stuck) {
      const originLastSeq = this.samples.get(key)?.at(-1)?.originLastSeq ?? 0;
      const before = this.remedied.get(key);
      const count = before?.originLastSeq === originLastSeq ? before.count + 1 : 1;
      this.remedied.set(key, { originLastSeq, count });
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
function sourcesOf(info: StreamInfo): { source: StreamSource; stored: number; stalled: boolean }[] {
  const stalled = (source: { error?: { err_code?: number } }) =>
    source.error?.err_code === STALLED_ON_FLOW_CONTROL;
  const mirror = info.config.mirror;
  if (mirror !== undefined) {
    // A mirror keeps its origin's sequences: its own last one is how far it got.
    return [{ source: mirror, stored: info.state.last_seq, stalled: stalled(info.mirror ?? {}) }];
  }
  // `seq` (nats-server 2.15): the origin sequence of the last message stored from the source.
  const reported = new Map((info.sources ?? []).map((s) => [s.name, s]));
  return (info.config.sources ?? []).map((source) => {
    const state = reported.get(source.name);
    return {
      source,
      stored: (state as { seq?: number } | undefined)?.seq ?? 0,
      stalled: stalled(state ?? {}),
    };
  });
}

async function originState(connection: ConnectionSpec, origin: string): Promise<OriginState | undefined> {
  const { jsm } = await session(connection);
  const info = await jsm.streams.info(origin).catch(() => undefined);
  if (info === undefined) return undefined;
  return {
    led: info.cluster?.leader !== undefined,
    lastSeq: info.state.last_seq,
    subjects: info.config.subjects ?? [],
  };
}

/** Whether `source` takes every subject of its origin: no filter, or filters naming each of them. */
function takesAll(source: StreamSource, originSubjects: string[]): boolean {
  const filters = [
    ...(source.filter_subject !== undefined && source.filter_subject !== "" ? [source.filter_subject] : []),
    ...(source.subject_transforms ?? []).map((t) => t.src),
  ];
  return filters.length === 0 || originSubjects.every((subject) => filters.includes(subject));
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
