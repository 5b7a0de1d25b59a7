/*
 * What runs beside the servers and mends sources after a partition or a restart without anyone
 * running `pulumi up`: it samples every source and mirror of the watched streams against its
 * origin, and when one is stuck while its origin has a leader (model/sourceProgress.ts), asks the
 * sourcing stream's leader to step down, the remedy nats-server has (stream.go: a new leader sets
 * every source up again at once, from the position it stored).
 */
import type { StreamInfo } from "@nats-io/jetstream";
import { DEFAULT_PROGRESS_RULES, isStuck, ProgressRules, SourceSample } from "../model/sourceProgress";
import { ConnectionSpec, session } from "./connection";
import { stepDown } from "./leaderStepDown";

export interface WatchedStream {
  name: string;
  /** Its account: streams of one name live in several. */
  account: string;
  /** A user of its account that may read stream info and ask for a leader step-down. */
  connection: ConnectionSpec;
  /** A user that may read its origins' stream info, in their account. */
  originConnection: ConnectionSpec;
}

/** How an origin stands, as one look tells. */
interface OriginState {
  led: boolean;
  lastSeq: number;
  lastAt: number;
}

/** nats-server's error of a source whose flow control stalled (stream.go). */
const STALLED_ON_FLOW_CONTROL = 10228;
/** Samples kept per source: enough to look back over the grace. */
const KEPT_SAMPLES = 30;

const streamText = (stream: WatchedStream) => `${stream.account}/${stream.name}`;

/** One watcher's memory of the sources it samples, and the remedies it applied. */
export class SourceWatch {
  private readonly samples = new Map<string, SourceSample[]>();
  private readonly remedied = new Map<string, number>();

  constructor(
    private readonly streams: WatchedStream[],
    private readonly rules: ProgressRules = DEFAULT_PROGRESS_RULES,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Samples every watched stream once and mends the stuck ones; a stream out of reach is skipped. */
  async check(now = Date.now()): Promise<void> {
    const origins = new Map<string, Promise<OriginState | undefined>>();
    await Promise.all(
      this.streams.map((stream) =>
        this.checkStream(stream, now, origins).catch((error: unknown) =>
          this.log(`${streamText(stream)}: not checked: ${(error as Error).message}`),
        ),
      ),
    );
  }

  private async checkStream(
    stream: WatchedStream,
    now: number,
    origins: Map<string, Promise<OriginState | undefined>>,
  ): Promise<void> {
    const { jsm } = await session(stream.connection);
    const info = await jsm.streams.info(stream.name);
    const stuck: string[] = [];
    for (const { origin, stored, stalled } of sourcesOf(info)) {
      const key = `${streamText(stream)} from ${origin}`;
      if (!origins.has(`${stream.account} ${origin}`)) {
        origins.set(`${stream.account} ${origin}`, originState(stream.originConnection, origin));
      }
      const state = await origins.get(`${stream.account} ${origin}`);
      const sample: SourceSample = {
        at: now,
        stored,
        originLed: state?.led ?? false,
        originLastSeq: state?.lastSeq ?? 0,
        originLastAt: state?.lastAt ?? now,
        stalledOnFlowControl: stalled,
      };
      const kept = [...(this.samples.get(key) ?? []), sample].slice(-KEPT_SAMPLES);
      this.samples.set(key, kept);
      if (isStuck(kept, this.rules, this.remedied.get(key))) stuck.push(key);
    }
    if (stuck.length === 0) return;
    await stepDown(stream);
    this.log(`${streamText(stream)}: leader asked to step down: no progress on ${stuck.join(", ")}`);
    for (const key of stuck) {
      this.remedied.set(key, this.samples.get(key)?.at(-1)?.originLastSeq ?? 0);
      // The new leader starts the sources afresh: judge them from there.
      this.samples.delete(key);
    }
  }
}

/** Each source and the mirror of a stream: how far it stored its origin, and the server's verdict. */
function sourcesOf(info: StreamInfo): { origin: string; stored: number; stalled: boolean }[] {
  const stalled = (source: { error?: { err_code?: number } }) =>
    source.error?.err_code === STALLED_ON_FLOW_CONTROL;
  const mirror = info.mirror;
  if (mirror !== undefined) {
    // A mirror keeps its origin's sequences: its own last one is how far it got.
    return [{ origin: mirror.name, stored: info.state.last_seq, stalled: stalled(mirror) }];
  }
  // `seq` (nats-server 2.15): the origin sequence of the last message stored from the source.
  return (info.sources ?? []).map((source) => ({
    origin: source.name,
    stored: (source as { seq?: number }).seq ?? 0,
    stalled: stalled(source),
  }));
}

async function originState(connection: ConnectionSpec, origin: string): Promise<OriginState | undefined> {
  const { jsm } = await session(connection);
  const info = await jsm.streams.info(origin).catch(() => undefined);
  if (info === undefined) return undefined;
  return {
    led: info.cluster?.leader !== undefined,
    lastSeq: info.state.last_seq,
    lastAt: Date.parse(info.state.last_ts),
  };
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
