/*
 * Benchmark: the eventually consistent virtual stream `foo` of a 3-region super-cluster (plus a
 * stretch cluster), run through the real Pulumi CLI (stack `bench-virtual`, scripts/stack.ts), each
 * region in a network namespace with a latency proxy (BENCH_LATENCY_MS each way) between regions.
 * Needs root.
 *
 *   npm run bench:virtual                                   # writes bench/RESULTS-virtual.md
 *   BENCH_COUNT=1000 BENCH_CATCHUP=10000 npm run bench:virtual   # a quick try; the file is left alone
 *
 * 1. Cross-region propagation: a publisher connected to west publishes on foo.lat.<run> at a steady
 *    rate (timer-paced), each message carrying its send time; an ordered consumer on east's foo,
 *    connected to east, computes each message's delivery latency (publish -> foo-write-west -> sourced
 *    over the gateway into east's foo -> delivered in east).
 * 2. The floor, in the same run, alternating with 1.: the same publisher, rate and count, consumed by
 *    an ordered consumer on foo-write-west connected to west (publish -> store -> deliver in one cluster).
 *    A third run per round feeds both consumers at once, for a per-message difference.
 *    A fourth sends core NATS messages from west to a subscriber in east: the network floor.
 * 3. Catch-up: kill the 3 east servers, publish BENCH_CATCHUP small messages in west, run `up` (which
 *    restarts east), and poll east's foo's message count every 250 ms through a connection to east
 *    until it holds them all.
 */
import {
  DeliverPolicy,
  jetstream,
  JetStreamClient,
  jetstreamManager,
  JetStreamManager,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { killAll, natsServerPids, stackPids } from "../test/support/processes";
import { TestStack } from "../test/support/stackRunner";
import { PROJECT_DIR } from "../test/support/tools";
import { readingSection, writeResults } from "./resultsFile";
import { machine } from "./machine";
import type { RegionAppConfig } from "../components/virtualStream";
import { seedTopology } from "../test/support/topologies";
import { AppCredentials, connectionAuth } from "../components/jetstream/clientAuth";

const envNumber = (name: string, fallback: number) =>
  process.env[name] === undefined ? fallback : Number(process.env[name]);
const COUNT = envNumber("BENCH_COUNT", 10_000);
const RATE = envNumber("BENCH_RATE", 500);
const ROUNDS = envNumber("BENCH_ROUNDS", 3);
const CATCHUP = envNumber("BENCH_CATCHUP", 100_000);
/** The latency proxies' delay, each way, on every link between regions. */
const LATENCY_MS = envNumber("BENCH_LATENCY_MS", 20);
const WRITE_RESULTS = [
  "BENCH_COUNT",
  "BENCH_RATE",
  "BENCH_ROUNDS",
  "BENCH_CATCHUP",
  "BENCH_LATENCY_MS",
].every((name) => process.env[name] === undefined);
/** Messages published before each measured run, not counted: they bring the consumer up and warm. */
const WARMUP = Math.min(500, COUNT);
const MSG_BYTES = 64;
const CATCHUP_BATCH = 1000;
const POLL_MS = 250;
const UP_TIMEOUT_MS = 600_000;
/** How long a latency run waits for stragglers after its last publish. */
const DRAIN_TIMEOUT_MS = 30_000;
const CATCHUP_TIMEOUT_MS = 300_000;

const STACK = "bench-virtual";
const CONFIG = {
  ...seedTopology(),
  ports: { client: 16222, cluster: 16322, gateway: 16422, monitor: 16522 },
  network: "namespaces",
  networkOctet: 96,
  latency: `${LATENCY_MS}ms`,
  virtualStreams: [{ name: "foo", consistency: "eventual" }],
};
const RESULTS_FILE = path.join(PROJECT_DIR, "bench", "RESULTS-virtual.md");

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

/** A 64-byte payload: send time (ms since the epoch, float64) and index (uint32). */
function payload(index: number): Uint8Array {
  const data = new Uint8Array(MSG_BYTES);
  const view = new DataView(data.buffer);
  view.setFloat64(0, now());
  view.setUint32(8, index);
  return data;
}

function readPayload(data: Uint8Array): { sent: number; index: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { sent: view.getFloat64(0), index: view.getUint32(8) };
}

type Kind = "cross" | "floor" | "network";

interface LatencyResult {
  kind: Kind;
  /** Whether the run's messages went to both consumers at once (the paired runs). */
  paired: boolean;
  run: string;
  stream: string;
  count: number;
  received: number;
  missing: number;
  duplicates: number;
  wrongSubject: number;
  ackFailures: number;
  publishSeconds: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Latency of measured message i (NaN if it never arrived). */
  latencies: number[];
  loadBefore: string;
}

/** A consumer of a latency run: an ordered consumer of `stream` filtered on `filter`. */
interface Target {
  kind: Kind;
  js: JetStreamClient;
  stream: string;
  filter: string;
}

function summary(values: number[]) {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

/** The percentiles, max and mean of a summary, as a result carries them. */
const statistics = ({ p50, p90, p99, max, mean }: ReturnType<typeof summary>) => ({
  p50,
  p90,
  p99,
  max,
  mean,
});

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Sends `n` messages at `rate` per second: a timer ticks every 1000/rate ms and sends those due. */
function paced(n: number, rate: number, send: (i: number) => void): Promise<number> {
  return new Promise((resolve) => {
    const start = performance.now();
    let sent = 0;
    const tick = () => {
      const due = Math.min(n, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (sent < due) send(sent++);
      if (sent >= n) {
        clearInterval(timer);
        resolve((performance.now() - start) / 1000);
      }
    };
    const timer = setInterval(tick, 1000 / rate);
    tick();
  });
}

async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch {
      // Not yet.
    }
    await sleep(POLL_MS);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * One latency run: WARMUP + COUNT messages published by `publisher` on foo.lat.<run> (which the
 * west cluster maps to foo.west.lat.<run>, stored in foo-write-west), consumed by every target.
 */
async function latencyRun(
  run: string,
  publisher: JetStreamClient,
  targets: Target[],
): Promise<LatencyResult[]> {
  const subject = `foo.lat.${run}`;
  const total = WARMUP + COUNT;
  const readers = await Promise.all(
    targets.map(async (target) => {
      const consumer = await target.js.consumers.get(target.stream, {
        filter_subjects: [target.filter],
        deliver_policy: DeliverPolicy.All,
      });
      // Short pulls: a pull that finds no responder yet (the new consumer's interest has not reached
      // the client's server) stalls the consumer until 2 idle heartbeats (expires / 2 each) are
      // missed; with the default 30 s that is longer than the warm-up wait.
      const messages = await consumer.consume({ max_messages: 100, expires: 5000 });
      const state = {
        latencies: new Array<number>(total).fill(NaN),
        received: 0,
        duplicates: 0,
        wrongSubject: 0,
      };
      const reading = (async () => {
        for await (const m of messages) {
          const arrived = now();
          const { sent, index } = readPayload(m.data);
          if (m.subject !== target.filter) state.wrongSubject++;
          if (index >= total) continue;
          if (!Number.isNaN(state.latencies[index])) state.duplicates++;
          else {
            state.latencies[index] = arrived - sent;
            state.received++;
          }
        }
      })();
      const events: string[] = [];
      void (async () => {
        for await (const status of messages.status()) {
          if (["next", "discard", "debug", "heartbeat", "flow_control"].includes(status.type)) continue;
          events.push(status.type);
          log(`${run} (${target.stream}): consumer ${JSON.stringify(status)}`);
        }
      })().catch(() => undefined);
      return {
        target,
        messages,
        reading: reading.catch((e: unknown) => log(`${run} (${target.stream}): consume ended: ${String(e)}`)),
        state,
        events,
      };
    }),
  );

  let ackFailures = 0;
  const acks: Promise<void>[] = [];
  const send = (offset: number) => (i: number) => {
    const index = offset + i;
    acks.push(
      publisher.publish(subject, payload(index)).then(
        (ack) => {
          if (ack.stream !== "foo-write-west") {
            ackFailures++;
            log(`${run}: message ${index} stored in ${ack.stream}, expected foo-write-west`);
          }
        },
        (e: unknown) => {
          ackFailures++;
          log(`${run}: publish ${index} failed: ${String(e)}`);
        },
      ),
    );
  };

  try {
    const loadBefore = load();
    await paced(WARMUP, RATE, send(0));
    const counts = () => readers.map((r) => `${r.target.stream} ${r.state.received}`).join(", ");
    await waitFor(
      `${run}: the warm-up messages`,
      () => readers.every((r) => r.state.received >= WARMUP),
      DRAIN_TIMEOUT_MS,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)} (received: ${counts()}; ack failures ${ackFailures})`);
    });
    const publishSeconds = await paced(COUNT, RATE, send(WARMUP));
    await Promise.all(acks);
    await waitFor(
      `${run}: every message`,
      () => readers.every((r) => r.state.received >= total),
      DRAIN_TIMEOUT_MS,
    ).catch((e: unknown) => log(String(e)));
    return readers.map(({ target, state, events }) => {
      const latencies = state.latencies.slice(WARMUP);
      const s = summary(latencies);
      const result: LatencyResult = {
        kind: target.kind,
        paired: targets.length > 1,
        run,
        stream: target.stream,
        count: COUNT,
        received: s.n,
        missing: COUNT - s.n,
        duplicates: state.duplicates,
        wrongSubject: state.wrongSubject,
        ackFailures,
        publishSeconds,
        ...statistics(s),
        latencies,
        loadBefore,
      };
      log(
        `${run} (${target.stream}): ${s.n}/${COUNT} in ${publishSeconds.toFixed(1)} s, ` +
          `p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(2)} ms, ` +
          `missing ${result.missing}, duplicates ${state.duplicates}, wrong subject ${state.wrongSubject}, ` +
          `ack failures ${ackFailures}${events.length > 0 ? `, consumer events ${events.join(" ")}` : ""}`,
      );
      return result;
    });
  } finally {
    for (const r of readers) r.messages.stop();
    await Promise.all(readers.map((r) => r.reading));
  }
}

/**
 * The network floor between the regions: WARMUP + COUNT core NATS messages (no stream) published in
 * west on bench.net.<run> at RATE, received by a subscription on the connection to east. Their path
 * is one gateway hop, through east's latency proxy.
 */
async function networkRun(run: string, west: NatsConnection, east: NatsConnection): Promise<LatencyResult> {
  const subject = `bench.net.${run}`;
  const total = WARMUP + COUNT;
  const latencies = new Array<number>(total).fill(NaN);
  let received = 0;
  let duplicates = 0;
  const sub = east.subscribe(subject, {
    callback: (_err, m) => {
      const arrived = now();
      const { sent, index } = readPayload(m.data);
      if (index >= total) return;
      if (!Number.isNaN(latencies[index])) duplicates++;
      else {
        latencies[index] = arrived - sent;
        received++;
      }
    },
  });
  try {
    await east.flush();
    const loadBefore = load();
    // Until east's interest has crossed the gateway, west drops what it publishes: warm up until
    // messages arrive, then measure.
    let warm = 0;
    await waitFor(
      `${run}: the subscription in east to get messages from west`,
      async () => {
        await paced(WARMUP, RATE, () => west.publish(subject, payload(warm++ % WARMUP)));
        return received > 0;
      },
      DRAIN_TIMEOUT_MS,
    );
    await west.flush();
    const publishSeconds = await paced(COUNT, RATE, (i) => west.publish(subject, payload(WARMUP + i)));
    await west.flush();
    const measured = () => latencies.slice(WARMUP).filter((l) => !Number.isNaN(l)).length;
    await waitFor(`${run}: every message`, () => measured() >= COUNT, DRAIN_TIMEOUT_MS).catch((e: unknown) =>
      log(String(e)),
    );
    const kept = latencies.slice(WARMUP);
    const s = summary(kept);
    log(
      `${run} (core NATS west -> east): ${s.n}/${COUNT}, p50 ${s.p50.toFixed(2)} ms, ` +
        `p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(2)} ms`,
    );
    return {
      kind: "network",
      paired: false,
      run,
      stream: "core NATS, no stream",
      count: COUNT,
      received: s.n,
      missing: COUNT - s.n,
      duplicates,
      wrongSubject: 0,
      ackFailures: 0,
      publishSeconds,
      ...statistics(s),
      latencies: kept,
      loadBefore,
    };
  } finally {
    sub.unsubscribe();
  }
}

interface Sample {
  /** ms since `up` began. */
  t: number;
  eastServers: number;
  /** East servers whose /healthz answers 200. */
  eastHealthy: number;
  messages?: number;
  /** Why the stream info got no answer. */
  error?: string;
}

interface CatchUpResult {
  n0: number;
  target: number;
  publishSeconds: number;
  upSeconds: number;
  upCode: number | null;
  /** The "Resources:" lines of the restarting `up`'s output. */
  upChanges: string;
  eastServersUpAt?: number;
  /** When the connection to east was back (its first `reconnect` status). */
  reconnectedAt?: number;
  /** When all 3 east servers answered /healthz with 200. */
  eastHealthyAt?: number;
  firstInfoAt?: number;
  firstInfoMessages?: number;
  firstProgressAt?: number;
  firstProgressMessages?: number;
  completeAt?: number;
  finalMessages?: number;
  samples: Sample[];
  loadBefore: string;
}

/** The change counts of a Pulumi CLI run, from its "Resources:" block ("3 updated, 80 unchanged"). */
function resourceSummary(output: string): string {
  const lines = output.split("\n");
  const start = lines.findIndex((l) => l.trim() === "Resources:");
  if (start < 0) return "n/a";
  const counts: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^\s+([~+-]?\s*\d+ [a-z]+)/.exec(line);
    if (!m) break;
    counts.push(m[1].replace(/^[~+-]\s*/, ""));
  }
  return counts.join(", ");
}

async function messagesIn(jsm: JetStreamManager, stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.messages;
}

async function catchUp(
  stack: TestStack,
  westJs: JetStreamClient,
  westJsm: JetStreamManager,
  east: NatsConnection,
  eastJsm: JetStreamManager,
  eastMonitors: string[],
): Promise<CatchUpResult> {
  const loadBefore = load();
  // Everything written so far (only west has taken writes) is in east's foo first.
  const writes = await messagesIn(westJsm, "foo-write-west");
  await waitFor(
    "east's foo to hold every earlier message",
    async () => (await messagesIn(eastJsm, "foo")) === writes,
    60_000,
  );
  const n0 = writes;
  const target = n0 + CATCHUP;
  const eastPids = () => natsServerPids(path.join(stack.dataDir, "east-"));
  log(`killing east (${eastPids().join(", ")}); east's foo holds ${n0}`);
  killAll(eastPids());
  await waitFor("east to be down", () => eastPids().length === 0, 30_000);

  const publishStart = performance.now();
  for (let from = 0; from < CATCHUP; from += CATCHUP_BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let i = from; i < Math.min(CATCHUP, from + CATCHUP_BATCH); i++)
      batch.push(westJs.publish("foo.catchup", payload(i)));
    const acks = await Promise.all(batch);
    const elsewhere = acks.filter((a) => (a as { stream: string }).stream !== "foo-write-west").length;
    if (elsewhere > 0) throw new Error(`${elsewhere} catch-up messages were not stored in foo-write-west`);
  }
  const publishSeconds = (performance.now() - publishStart) / 1000;
  const written = await messagesIn(westJsm, "foo-write-west");
  if (written !== target) throw new Error(`foo-write-west holds ${written}, expected ${target}`);
  log(`published ${CATCHUP} in ${publishSeconds.toFixed(1)} s while east was down; running up`);

  const result: CatchUpResult = {
    n0,
    target,
    publishSeconds,
    upSeconds: NaN,
    upCode: null,
    upChanges: "",
    samples: [],
    loadBefore,
  };
  const upStart = performance.now();
  const since = () => performance.now() - upStart;
  void (async () => {
    for await (const status of east.status()) {
      if (status.type === "reconnect" && result.reconnectedAt === undefined) result.reconnectedAt = since();
    }
  })().catch(() => undefined);
  // The east servers' processes and /healthz, polled on their own: they answer at once.
  let servers = { eastServers: 0, eastHealthy: 0 };
  let serversBusy = false;
  const probeServers = async () => {
    if (serversBusy) return;
    serversBusy = true;
    const t = since();
    const eastServers = eastPids().length;
    const healthy = await Promise.all(
      eastMonitors.map((url) =>
        fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    );
    servers = { eastServers, eastHealthy: healthy.filter((h) => h).length };
    if (eastServers === 3 && result.eastServersUpAt === undefined) result.eastServersUpAt = t;
    if (servers.eastHealthy === 3 && result.eastHealthyAt === undefined) result.eastHealthyAt = t;
    serversBusy = false;
  };
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    let messages: number | undefined;
    let error: string | undefined;
    try {
      messages = await messagesIn(eastJsm, "foo");
    } catch (e) {
      // East is down or its JetStream is not answering yet.
      error = (e instanceof Error ? e.message : String(e)).slice(0, 80);
    }
    const at = since();
    result.samples.push({ t: at, ...servers, messages, error });
    if (messages !== undefined) {
      if (result.firstInfoAt === undefined) {
        result.firstInfoAt = at;
        result.firstInfoMessages = messages;
      }
      if (messages > n0 && result.firstProgressAt === undefined) {
        result.firstProgressAt = at;
        result.firstProgressMessages = messages;
      }
      if (messages >= target && result.completeAt === undefined) result.completeAt = at;
      result.finalMessages = messages;
    }
    busy = false;
  };
  const timer = setInterval(() => {
    void poll();
    void probeServers();
  }, POLL_MS);
  try {
    const up = await stack.run("up", UP_TIMEOUT_MS);
    result.upSeconds = (performance.now() - upStart) / 1000;
    result.upCode = up.code;
    result.upChanges = resourceSummary(up.output);
    if (up.code !== 0) throw new Error(`up to restart east failed (${up.code}):\n${up.output.slice(-4000)}`);
    log(`up returned after ${result.upSeconds.toFixed(1)} s`);
    const deadline = performance.now() + CATCHUP_TIMEOUT_MS;
    while (result.completeAt === undefined && performance.now() < deadline) await sleep(POLL_MS);
  } finally {
    clearInterval(timer);
    while (busy || serversBusy) await sleep(20);
  }
  if (result.completeAt === undefined)
    log(`east's foo never held ${target} (last seen ${result.finalMessages})`);
  return result;
}

const ms = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "n/a" : v.toFixed(2));
const sec = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "n/a" : (v / 1000).toFixed(1));

const LABELS: Record<Kind, string> = {
  cross: "cross-region",
  floor: "floor",
  network: "network floor, west → east",
};
const label = (r: { kind: Kind; paired: boolean }) => `${LABELS[r.kind]}${r.paired ? " (paired)" : ""}`;

function pooled(runs: LatencyResult[]): LatencyResult {
  const s = summary(runs.flatMap((r) => r.latencies));
  const sum = (f: (r: LatencyResult) => number) => runs.reduce((a, r) => a + f(r), 0);
  return {
    kind: runs[0].kind,
    paired: runs[0].paired,
    run: "all runs",
    stream: runs[0].stream,
    count: sum((r) => r.count),
    received: sum((r) => r.received),
    missing: sum((r) => r.missing),
    duplicates: sum((r) => r.duplicates),
    wrongSubject: sum((r) => r.wrongSubject),
    ackFailures: sum((r) => r.ackFailures),
    publishSeconds: sum((r) => r.publishSeconds),
    ...statistics(s),
    latencies: [],
    loadBefore: "",
  };
}

function latencyTable(results: LatencyResult[]): string {
  const header = [
    "run",
    "consumed from",
    "received / sent",
    "missing",
    "dup",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "max ms",
    "mean ms",
    "publish rate msg/s",
    "load avg before",
  ];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i < 2 ? "--" : "--:")).join("|")}|`];
  const row = (r: LatencyResult, name: string) =>
    `| ${name} | ${r.stream} | ${r.received} / ${r.count} | ${r.missing} | ${r.duplicates} | ` +
    `${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} | ${ms(r.mean)} | ` +
    `${(r.count / r.publishSeconds).toFixed(0)} | ${r.loadBefore || "–"} |`;
  results.forEach((r) => lines.push(row(r, `${r.run}: ${label(r)}`)));
  for (const paired of [false, true]) {
    for (const kind of ["cross", "floor", "network"] as const) {
      const runs = results.filter((r) => r.kind === kind && r.paired === paired);
      if (runs.length > 0) lines.push(row(pooled(runs), `**${label({ kind, paired })}, pooled**`));
    }
  }
  return lines.join("\n");
}

/** Per message of the paired runs: its cross-region latency minus its floor latency. */
function pairedTable(results: LatencyResult[]): string {
  const lines = [
    "| run | messages in both | p50 ms | p90 ms | p99 ms | mean ms | cross later than floor |",
    "|--|--:|--:|--:|--:|--:|--:|",
  ];
  const all: number[] = [];
  const row = (name: string, deltas: number[]) => {
    const s = summary(deltas);
    const later = deltas.filter((d) => d > 0).length;
    lines.push(
      `| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.mean)} | ` +
        `${((100 * later) / Math.max(1, s.n)).toFixed(1)} % |`,
    );
  };
  for (const run of [...new Set(results.filter((r) => r.paired).map((r) => r.run))]) {
    const cross = results.find((r) => r.run === run && r.kind === "cross");
    const floor = results.find((r) => r.run === run && r.kind === "floor");
    if (!cross || !floor) continue;
    const deltas = cross.latencies.map((l, i) => l - floor.latencies[i]).filter((d) => !Number.isNaN(d));
    all.push(...deltas);
    row(run, deltas);
  }
  row("**pooled**", all);
  return lines.join("\n");
}

/** The pooled latencies of the network floor and the cross-region runs, beside the configured delay. */
function overNetworkTable(results: LatencyResult[]): string {
  const pool = (kind: Kind) =>
    summary(results.filter((r) => r.kind === kind && !r.paired).flatMap((r) => r.latencies));
  const network = pool("network");
  const cross = pool("cross");
  const floor = pool("floor");
  const lines = ["| | p50 ms | p90 ms | p99 ms | mean ms |", "|--|--:|--:|--:|--:|"];
  const row = (name: string, f: (k: "p50" | "p90" | "p99" | "mean") => number) =>
    lines.push(`| ${name} | ${(["p50", "p90", "p99", "mean"] as const).map((k) => ms(f(k))).join(" | ")} |`);
  row("configured delay of the proxy, one way", () => LATENCY_MS);
  row("network floor: core NATS west → east", (k) => network[k]);
  row("floor: JetStream within west", (k) => floor[k]);
  row("cross-region: virtual stream west → east", (k) => cross[k]);
  row("**cross-region − network floor** (what the virtual stream adds)", (k) => cross[k] - network[k]);
  return lines.join("\n");
}

function catchUpTable(c: CatchUpResult): string {
  const complete = c.completeAt;
  const sinceUpReturned = complete === undefined ? undefined : complete - c.upSeconds * 1000;
  const steadyRate =
    complete !== undefined && c.firstProgressAt !== undefined && complete > c.firstProgressAt
      ? (c.target - (c.firstProgressMessages as number)) / ((complete - c.firstProgressAt) / 1000)
      : undefined;
  // The catch-up began after the last poll that still saw only the earlier messages.
  const lastBefore = c.samples.filter((x) => x.messages === c.n0 && x.t < (c.firstProgressAt ?? 0)).pop();
  const wholeRate =
    complete !== undefined && lastBefore !== undefined
      ? CATCHUP / ((complete - lastBefore.t) / 1000)
      : undefined;
  const fromServers =
    complete !== undefined && c.eastServersUpAt !== undefined
      ? CATCHUP / ((complete - c.eastServersUpAt) / 1000)
      : undefined;
  const fromUp = complete !== undefined ? CATCHUP / (complete / 1000) : undefined;
  const rows: [string, string][] = [
    ["messages published in west while east was down", `${CATCHUP} × ${MSG_BYTES} B`],
    ["their publish time (batches of 1000 async publishes)", `${c.publishSeconds.toFixed(1)} s`],
    ["east's foo before / target", `${c.n0} / ${c.target}`],
    [
      "`up` (refresh + restart of east) took",
      `${c.upSeconds.toFixed(1)} s (exit ${c.upCode}; ${c.upChanges})`,
    ],
    ["3 east servers running, after `up` began", `${sec(c.eastServersUpAt)} s`],
    ["3 east servers answering /healthz with 200, after `up` began", `${sec(c.eastHealthyAt)} s`],
    ["connection to east reconnected, after `up` began", `${sec(c.reconnectedAt)} s`],
    [
      "first answered stream info of east's foo, after `up` began",
      `${sec(c.firstInfoAt)} s (${c.firstInfoMessages ?? "n/a"} messages)`,
    ],
    [
      "first count above the earlier messages, after `up` began",
      `${sec(c.firstProgressAt)} s (${c.firstProgressMessages ?? "n/a"} messages)`,
    ],
    ["**east's foo complete, after `up` began**", `**${sec(complete)} s**`],
    [
      "**east's foo complete, after `up` returned**",
      `**${sec(sinceUpReturned)} s**${sinceUpReturned !== undefined && sinceUpReturned <= 0 ? " (already complete when `up` returned)" : ""}`,
    ],
    [
      "**catch-up rate, first count above the earlier messages → complete**",
      `**${steadyRate === undefined ? "n/a" : steadyRate.toFixed(0)} msg/s**`,
    ],
    [
      `catch-up rate, ${CATCHUP} / (complete − last poll with only the earlier messages)`,
      `${wholeRate === undefined ? "n/a" : wholeRate.toFixed(0)} msg/s`,
    ],
    [
      `catch-up rate, ${CATCHUP} / (complete − east servers running)`,
      `${fromServers === undefined ? "n/a" : fromServers.toFixed(0)} msg/s`,
    ],
    [
      `catch-up rate, ${CATCHUP} / (complete − \`up\` began)`,
      `${fromUp === undefined ? "n/a" : fromUp.toFixed(0)} msg/s`,
    ],
    ["load average before the kill", c.loadBefore],
  ];
  return ["| | |", "|--|--:|", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
}

/**
 * east's foo's message count over time from when the first east server is back: a row a second,
 * and a row for every poll whose count differs from the row before.
 */
function progressTable(c: CatchUpResult): string {
  const picked: Sample[] = [];
  for (const s of c.samples.filter((s) => s.eastServers > 0 || s.messages !== undefined)) {
    const last = picked[picked.length - 1];
    const changed =
      s.messages !== last?.messages || s.eastHealthy !== last?.eastHealthy || s.error !== last?.error;
    if (last === undefined || s.t - last.t >= 1000 || changed) picked.push(s);
    if ((s.messages ?? 0) >= c.target) break;
  }
  const lines = [
    "| s after `up` began | east servers running | healthy | east's foo messages | of the catch-up |",
    "|--:|--:|--:|--:|--:|",
  ];
  for (const s of picked) {
    const got = s.messages === undefined ? `no answer (${s.error})` : String(s.messages);
    const part = s.messages === undefined ? "" : `${s.messages - c.n0} / ${CATCHUP}`;
    lines.push(`| ${(s.t / 1000).toFixed(2)} | ${s.eastServers} | ${s.eastHealthy} | ${got} | ${part} |`);
  }
  return lines.join("\n");
}

function resultsMarkdown(
  latency: LatencyResult[],
  c: CatchUpResult,
  env: ReturnType<typeof machine>,
  firstUpSeconds: number,
  totalMinutes: number,
): string {
  return `# Virtual stream benchmark: cross-region latency and catch-up of an eventual \`foo\`

## What is measured

The stack \`${STACK}\` (\`stacks/Pulumi.${STACK}.yaml\`, brought up by \`scripts/stack.ts\` through the
real Pulumi CLI): regions west, central and east (3 servers each) and a 3-server stretch cluster, with
the virtual stream \`foo\` in consistency \`eventual\`. Each region runs in a network namespace of its
own (\`local.network: namespaces\`, run as root), and every link between regions (gateways, stretch
routes) passes a latency proxy (toxiproxy) that delays each direction by **${LATENCY_MS} ms**
(\`local.latency\`); a region's own routes are direct. Per region, a write stream
\`foo-write-<region>\` (subjects \`foo.<region>.>\`, R3, kept 1 h) and in the region's account
(\`APP-<region>\`) a stream \`foo\` (R3) that sources every write stream and drops the region token (\`foo.west.x\` → \`foo.x\`). A publish
on \`foo.x\` by a client of west's account is led by the account's service import to \`foo.west.x\` and stored in
\`foo-write-west\` (every PubAck is checked for it).
The stack runs in operator mode with TLS on every link (this repository's default): client, route
and gateway connections all speak TLS, routes and gateways mutual TLS, and the clients below connect
as the stack's own users of their region's account (the floor's consumer as the application
account's), with their creds and CA.

One process (nats.js 3.4, \`@nats-io/transport-node\`) does all the client work, with one connection
to west for publishing, one to west for the floor's consumer and one to east:

1. **Cross-region propagation latency**: ${COUNT} messages of ${MSG_BYTES} B published in west on
   \`foo.lat.<run>\` with \`js.publish\` (acks awaited off the send path), paced by a timer at
   ${RATE} msg/s, each carrying its send time (\`performance.timeOrigin + performance.now()\`, float64
   in the payload). An ordered consumer (\`js.consumers.get("east's foo", { filter_subjects })\` and
   \`consume()\`) on the connection to east takes the receive time of each. Path: publish → R3 store in
   \`foo-write-west\` → sourced over the west–east gateway → R3 store in \`east's foo\` → delivered in
   east. Each run first sends ${WARMUP} warm-up messages at the same rate (not counted) and waits for
   them, so that the consumer exists and the path is warm.
2. **The network floor**: the same rate and count as core NATS messages (no stream) published in west
   and received by a subscription on the connection to east: one gateway hop through the proxy,
   what any traffic between the regions costs. Warm-up messages are sent until the subscription's
   interest has crossed the gateway.
3. **The floor**: the same publisher, rate, count and warm-up, consumed by an ordered consumer on
   \`foo-write-west\` on the second connection to west: publish → R3 store → deliver, in one cluster.
   Cross-region and floor runs alternate (${ROUNDS} rounds), so that both see the same background
   load; the machine is shared with other work, the load average before each run is in the table.
   Each round also has a **paired** run: one publisher run read by both consumers at once, so that
   every message has a cross-region and a floor latency measured under the same instant's load; their
   difference is the time \`east's foo\` delivers a message after \`foo-write-west\` did.
4. **Catch-up after an outage**: once \`east's foo\` holds everything written so far, the 3 east
   servers are killed (SIGKILL), ${CATCHUP} messages of ${MSG_BYTES} B are published in west on
   \`foo.catchup\` (async publishes in batches of ${CATCHUP_BATCH}, every ack awaited), then
   \`stack.run("up")\` restarts east (refresh notices the dead servers, \`up\` starts them with their
   data). From the moment \`up\` begins, \`east's foo\`'s \`state.messages\` is polled every ${POLL_MS} ms
   through the connection to east (1 s request timeout; the client retries the east servers every
   250 ms), and, on their own every ${POLL_MS} ms, the east servers' processes are counted and their
   \`/healthz\` asked.

Reproduce (after \`npm run setup\`, as root): \`npm run bench:virtual\`. This run took ${totalMinutes.toFixed(1)} min,
the first \`up\` of the stack ${firstUpSeconds.toFixed(0)} s. \`BENCH_COUNT\`, \`BENCH_RATE\`, \`BENCH_ROUNDS\`
\`BENCH_CATCHUP\` and \`BENCH_LATENCY_MS\` make another try without touching this file.

## Results

### 1–3. Delivery latency at ${RATE} msg/s: cross-region, the network floor, the floor

What a virtual stream adds to the network between the regions (pooled over the unpaired runs):

${overNetworkTable(latency)}

Per run of ${COUNT} messages, then pooled over the runs of each kind; latencies in milliseconds:

${latencyTable(latency)}

Per message of the paired runs, cross-region latency minus floor latency (the cost of sourcing into
the other region, with the same message, publisher and moment):

${pairedTable(latency)}

### 4. Catch-up of ${CATCHUP} messages after east was down

${catchUpTable(c)}

Progress of \`east's foo\` once the first east server is back (a row a second, and one per change):

${progressTable(c)}

## Reading

${readingSection(RESULTS_FILE)}

## Machine and versions

- Generated ${new Date().toISOString()} at commit ${env.commit}${env.dirty ? " (with uncommitted changes under components/ or index.ts)" : ""}
- nproc: ${env.nproc}; CPU: ${env.cpu}; memory: ${env.memory}; ${env.os}
- node ${env.node}; ${env.natsServer}; pulumi ${env.pulumi}; nats.js 3.4.0
`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const stack = new TestStack(STACK, CONFIG);
  const connections: NatsConnection[] = [];
  const latency: LatencyResult[] = [];
  let catchUpResult: CatchUpResult | undefined;
  let firstUpSeconds = NaN;
  try {
    log(`up of stack ${STACK} (15 servers)`);
    const upStart = performance.now();
    const up = await stack.run("up", UP_TIMEOUT_MS);
    firstUpSeconds = (performance.now() - upStart) / 1000;
    if (up.code !== 0) throw new Error(`up failed (${up.code}):\n${up.output.slice(-4000)}`);
    log(`up took ${firstUpSeconds.toFixed(1)} s`);
    const outputs = stack.outputs();
    const apps = (outputs.streams as Record<string, Record<string, RegionAppConfig>>).foo;
    const eastMonitors = (outputs.clusters as Record<string, { monitorUrls: string[] }>).east.monitorUrls;
    // An application's region is its account; the write streams are the application account's.
    const regional = stack.outputs(true).regionCredentials as Record<string, AppCredentials>;
    const writeSide = stack.outputs(true).credentials as AppCredentials;
    const client = async (region: string, name: string, credentials = regional[region]) => {
      const nc = await connect({
        servers: apps[region].clientUrls,
        ...connectionAuth(credentials),
        name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
      connections.push(nc);
      return nc;
    };
    const westPub = await client("west", "bench-publisher");
    const westSub = await client("west", "bench-floor-consumer", writeSide);
    const east = await client("east", "bench-east");
    const westJs = jetstream(westPub);
    const westJsm = await jetstreamManager(westSub, { checkAPI: false });
    // No API check: while east restarts, its meta leader may be moving.
    const eastJsm = await jetstreamManager(east, { checkAPI: false, timeout: 1000 });
    log(`apps.foo.west = ${JSON.stringify(apps.west)}; apps.foo.east = ${JSON.stringify(apps.east)}`);

    const crossTarget: Target = {
      kind: "cross",
      js: jetstream(east),
      stream: apps.east.consumeStream,
      filter: "foo.lat.<run>",
    };
    const floorTarget: Target = {
      kind: "floor",
      js: jetstream(westSub),
      stream: apps.west.writeStream,
      filter: "foo.west.lat.<run>",
    };
    const forRun = (t: Target, run: string) => ({ ...t, filter: t.filter.replace("<run>", run) });
    // Alternating, so that both see the same background load.
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [run, targets] of [
        [`cross${round}`, [crossTarget]],
        [`floor${round}`, [floorTarget]],
        [`paired${round}`, [crossTarget, floorTarget]],
      ] as const) {
        if (run.startsWith("floor")) latency.push(await networkRun(`network${round}`, westSub, east));
        latency.push(
          ...(await latencyRun(
            run,
            westJs,
            targets.map((t) => forRun(t, run)),
          )),
        );
      }
    }

    catchUpResult = await catchUp(stack, westJs, westJsm, east, eastJsm, eastMonitors);
  } finally {
    log("cleaning up");
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    const down = await stack.remove().then(
      () => undefined,
      (e: unknown) => e,
    );
    if (down !== undefined) log(`stack remove failed: ${String(down)}`);
    killAll(stackPids(stack.dataDir));
  }
  const totalMinutes = (performance.now() - started) / 60_000;
  const env = machine();
  console.log(overNetworkTable(latency));
  console.log();
  console.log(latencyTable(latency));
  console.log();
  console.log(pairedTable(latency));
  console.log();
  console.log(catchUpTable(catchUpResult));
  console.log();
  console.log(progressTable(catchUpResult));
  console.log(`total run time ${totalMinutes.toFixed(1)} min`);
  if (WRITE_RESULTS) {
    writeResults(RESULTS_FILE, resultsMarkdown(latency, catchUpResult, env, firstUpSeconds, totalMinutes));
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
