/*
 * Benchmark: create, preview (no change) and destroy N JetStream streams through `pulumi up` with
 * this package's Stream resource, next to a baseline measured in the same run on the same servers:
 * a shell script that runs `nats stream add --config <file.json>` once per stream, then
 * `nats stream rm -f <name>` once per stream.
 *
 *   npm run bench:streams                       # N = 30, 150, 300; writes bench/RESULTS.md
 *   BENCH_SIZES=5 npm run bench:streams         # a quick try; RESULTS.md is left alone
 *
 * Every stream is R3 in cluster "west" of a 12-server super-cluster (test/support harness, ports
 * 13222/13322/13422/13522, below the ephemeral port range). During the largest `pulumi up`, /connz of the west servers is polled
 * every 200 ms to count the provider's connections (named "pulumi-nats-global").
 */
import { jetstreamManager, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { monitorUrl } from "../components/model/endpoints";
import { normalizeWire, toWire } from "../components/model/streamConfig";
import { StreamSpec } from "../components/model/streamSpec";
import { monitor } from "../test/support/monitor";
import { installPackedPackage } from "../test/support/installedPackage";
import { ProgramRun, ProgramStack } from "../test/support/programStack";
import { SuperClusterHarness, TEST_AUTH } from "../test/support/superClusterHarness";
import { PROJECT_DIR, tool } from "../test/support/tools";
import { readingSection, writeResults } from "./resultsFile";
import { machine } from "./machine";

const DEFAULT_SIZES = [30, 150, 300];
const SIZES = process.env.BENCH_SIZES
  ? process.env.BENCH_SIZES.split(",").map((s) => Number(s.trim()))
  : DEFAULT_SIZES;
const WRITE_RESULTS = process.env.BENCH_SIZES === undefined;
const CLUSTER = "west";
const STACK = "bench-streams";
const INSTALLED_STACK = "bench-streams-installed";
const INSTALLED_PROJECT = path.join(PROJECT_DIR, ".pulumi-state", "work", "bench-installed-package");
const PREFIX = "bench-";
const CONNECTION_NAME = "pulumi-nats-global";
const POLL_MS = 200;
const PULUMI_TIMEOUT_MS = 900_000;
const RESULTS_FILE = path.join(PROJECT_DIR, "bench", "RESULTS.md");

const OPERATIONS = [
  "pulumi up",
  "pulumi preview",
  "pulumi destroy",
  "installed up",
  "installed preview",
  "installed destroy",
  "nats add",
  "nats rm",
] as const;
type Operation = (typeof OPERATIONS)[number];

interface Row {
  n: number;
  seconds: Record<Operation, number>;
  /** Size of the stack's state file after `pulumi up`, when the backend is a local directory. */
  stateBytes?: number;
  installedStateBytes?: number;
}

interface ConnectionPeak {
  n: number;
  peak: number;
  peakAll: number;
  samples: number;
  failedPolls: number;
  byServer: Record<string, number>;
}

const log = (message: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

function specs(n: number): StreamSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `${PREFIX}${i + 1}`,
    subjects: [`bench.${i + 1}.>`],
    numReplicas: 3,
    placement: { cluster: CLUSTER },
  }));
}

async function timed<T>(what: string, run: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await run();
  const seconds = (performance.now() - start) / 1000;
  log(`${what}: ${seconds.toFixed(2)} s`);
  return { seconds, value };
}

function expectRun(what: string, result: ProgramRun, changes: Record<string, number>): void {
  const ok =
    result.code === 0 && Object.entries(changes).every(([kind, count]) => result.changes?.[kind] === count);
  if (!ok) {
    throw new Error(
      `${what}: exit code ${result.code}, changes ${JSON.stringify(result.changes)}, ` +
        `expected ${JSON.stringify(changes)}\n${result.output.slice(-4000)}`,
    );
  }
}

async function benchStreams(jsm: JetStreamManager): Promise<string[]> {
  const names: string[] = [];
  for await (const name of jsm.streams.names()) if (name.startsWith(PREFIX)) names.push(name);
  return names;
}

async function expectStreamCount(jsm: JetStreamManager, what: string, count: number): Promise<void> {
  const names = await benchStreams(jsm);
  if (names.length !== count) throw new Error(`${what}: ${names.length} bench streams, expected ${count}`);
}

type AroundUp = <T>(run: () => Promise<T>) => Promise<T>;

interface PulumiRound {
  seconds: Partial<Record<Operation, number>>;
  stateBytes?: number;
  /** The first stream's config as the server reports it after `up`. */
  firstConfig: unknown;
}

/**
 * `pulumi up` of the input's streams on `stack`, a preview with nothing to change, then `destroy`,
 * each timed and checked; `aroundUp` wraps the `up` alone.
 */
async function pulumiRound(
  stack: ProgramStack,
  prefix: "pulumi" | "installed",
  input: { connection: unknown; streams: StreamSpec[] },
  jsm: JetStreamManager,
  aroundUp: AroundUp = (run) => run(),
): Promise<PulumiRound> {
  const n = input.streams.length;
  const step = async (command: "up" | "preview" | "destroy", changes: Record<string, number>) => {
    const what = `${prefix} ${command}` as Operation;
    const result = await timed(`N=${n} ${what}`, () => stack.run(command, input, PULUMI_TIMEOUT_MS));
    expectRun(what, result.value, changes);
    return result.seconds;
  };
  const up = await aroundUp(() => step("up", { create: n + 1 }));
  const stateBytesAfterUp = stateBytes(stack.name);
  await expectStreamCount(jsm, `after ${prefix} up`, n);
  const firstConfig = normalizeWire((await jsm.streams.info(input.streams[0].name)).config);
  const preview = await step("preview", { same: n + 1 });
  const destroy = await step("destroy", { delete: n + 1 });
  await expectStreamCount(jsm, `after ${prefix} destroy`, 0);
  return {
    seconds: { [`${prefix} up`]: up, [`${prefix} preview`]: preview, [`${prefix} destroy`]: destroy },
    stateBytes: stateBytesAfterUp,
    firstConfig,
  };
}

/** Runs a bash script with the given environment; rejects on a non-zero exit. */
function runScript(script: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${script} exited with ${code}:\n${stderr.slice(-4000)}`)),
    );
  });
}

/** Writes the per-stream JSON files and the two shell scripts of the nats CLI baseline. */
function writeCliScripts(dir: string, streams: StreamSpec[]): { add: string; rm: string } {
  fs.mkdirSync(dir, { recursive: true });
  const flags = '--server "$BENCH_SERVERS" --user "$BENCH_USER" --password "$BENCH_PASSWORD"';
  const add = ["#!/usr/bin/env bash", "set -euo pipefail"];
  const rm = ["#!/usr/bin/env bash", "set -euo pipefail"];
  for (const spec of streams) {
    const file = path.join(dir, `${spec.name}.json`);
    fs.writeFileSync(file, JSON.stringify(toWire(spec), null, 2));
    add.push(`"$BENCH_NATS" stream add --config '${file}' ${flags} >/dev/null`);
    rm.push(`"$BENCH_NATS" stream rm -f '${spec.name}' ${flags} >/dev/null`);
  }
  const files = { add: path.join(dir, "add.sh"), rm: path.join(dir, "rm.sh") };
  fs.writeFileSync(files.add, `${add.join("\n")}\n`);
  fs.writeFileSync(files.rm, `${rm.join("\n")}\n`);
  return files;
}

/** Polls /connz of `urls` every POLL_MS until stopped; keeps the largest sum over the servers. */
function pollConnections(urls: string[]) {
  let peak = 0;
  let peakAll = 0;
  let samples = 0;
  let failedPolls = 0;
  let byServer: Record<string, number> = {};
  let busy = false;
  type Connz = { server_id: string; num_connections: number; connections?: { name?: string }[] };
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      const pages = await Promise.all(urls.map((u) => monitor<Connz>(u, "connz?limit=4096")));
      const counts = pages.map((p) => (p.connections ?? []).filter((c) => c.name === CONNECTION_NAME).length);
      const total = counts.reduce((a, b) => a + b, 0);
      samples++;
      peakAll = Math.max(
        peakAll,
        pages.reduce((a, p) => a + p.num_connections, 0),
      );
      if (total > peak) {
        peak = total;
        byServer = Object.fromEntries(urls.map((u, i) => [u, counts[i]]));
      }
    } catch {
      failedPolls++;
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void poll(), POLL_MS);
  return {
    stop: async (n: number): Promise<ConnectionPeak> => {
      clearInterval(timer);
      while (busy) await new Promise((resolve) => setTimeout(resolve, 20));
      return { n, peak, peakAll, samples, failedPolls, byServer };
    },
  };
}

/** The stack's checkpoint file of the local file backend (runProgram.ts's project name). */
function stateBytes(stack: string): number | undefined {
  const backend = process.env.PULUMI_BACKEND_URL;
  if (!backend?.startsWith("file://")) return undefined;
  const file = path.join(backend.slice(7), ".pulumi", "stacks", "nats-global-test", `${stack}.json`);
  return fs.existsSync(file) ? fs.statSync(file).size : undefined;
}

function table(rows: Row[]): string {
  const header = [
    "N",
    ...OPERATIONS.map((op) => `${op} s (ms/stream)`),
    "state after up MB",
    "state after installed up MB",
  ];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "--:").join("|")}|`];
  for (const row of rows) {
    const cells = OPERATIONS.map(
      (op) => `${row.seconds[op].toFixed(2)} (${((row.seconds[op] * 1000) / row.n).toFixed(0)})`,
    );
    const mb = (bytes?: number) => (bytes === undefined ? "n/a" : (bytes / 1e6).toFixed(1));
    lines.push(
      `| ${row.n} | ${cells.join(" | ")} | ${mb(row.stateBytes)} | ${mb(row.installedStateBytes)} |`,
    );
  }
  return lines.join("\n");
}

/** Cost of each extra stream between consecutive sizes: how the per-stream time grows with N. */
function marginalTable(rows: Row[]): string {
  const header = ["N", ...OPERATIONS.map((op) => `${op} ms/extra stream`)];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "--:").join("|")}|`];
  for (let i = 1; i < rows.length; i++) {
    const [from, to] = [rows[i - 1], rows[i]];
    const cells = OPERATIONS.map((op) =>
      (((to.seconds[op] - from.seconds[op]) * 1000) / (to.n - from.n)).toFixed(0),
    );
    lines.push(`| ${from.n} → ${to.n} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

const PORTS = { client: 13222, cluster: 13322, gateway: 13422, monitor: 13522 };

/**
 * Starts the harness, again (up to 3 times) when a port is taken: the port bases lie inside Linux's
 * ephemeral range (32768-60999), so an outgoing route connection of a server that started first can
 * hold the client port of one that starts next.
 */
async function startHarness(): Promise<SuperClusterHarness> {
  for (let attempt = 1; ; attempt++) {
    const harness = new SuperClusterHarness(PORTS);
    try {
      await harness.start();
      return harness;
    } catch (error) {
      await harness?.stop().catch(() => undefined);
      if (attempt >= 3 || !String(error).includes("address already in use")) throw error;
      log(`harness start failed (${String(error).split("\n")[0]}), retrying`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

/** The running harness, for the signal handler: Ctrl-C must not leave 12 servers behind. */
let activeHarness: SuperClusterHarness | undefined;

function stopOnSignal(signal: NodeJS.Signals): void {
  process.once(signal, () => {
    log(`${signal}: stopping the servers; the next run removes the stack's leftover state`);
    void (activeHarness?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  stopOnSignal("SIGINT");
  stopOnSignal("SIGTERM");
  const stack = new ProgramStack(STACK, "jetstreamResources.ts");
  log("packing the package and installing it into a fresh project");
  installPackedPackage(INSTALLED_PROJECT);
  const installed = new ProgramStack(
    INSTALLED_STACK,
    path.join(INSTALLED_PROJECT, "streams.js"),
    INSTALLED_PROJECT,
  );
  const cliDir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-bench-"));
  const rows: Row[] = [];
  const peaks: ConnectionPeak[] = [];
  const configChecks: string[] = [];
  let harness: SuperClusterHarness | undefined;
  let nc: NatsConnection | undefined;
  let stackUsed = false;
  const loadAtStart = os.loadavg();
  const started = performance.now();
  try {
    log("starting 12 nats-server processes");
    harness = await startHarness();
    activeHarness = harness;
    const connection = harness.connection(CLUSTER);
    const addressing = harness.addressing;
    const westMonitors = harness.plan.clusters
      .find((c) => c.name === CLUSTER)!
      .servers.map((s) => monitorUrl(addressing(s)));
    log(`${CLUSTER} monitors: ${westMonitors.join(", ")}`);
    nc = await connect({
      servers: connection.servers,
      user: TEST_AUTH.app.user,
      pass: TEST_AUTH.app.password,
    });
    const jsm = await jetstreamManager(nc);
    await expectStreamCount(jsm, "fresh servers", 0);
    // A stack left over by an interrupted run points at servers that are gone: start clean.
    stackUsed = true;
    // An interrupted run leaves the stack locked (file backend): lift its lock, then remove the stack.
    for (const [name, leftover] of [
      [STACK, stack],
      [INSTALLED_STACK, installed],
    ] as const) {
      spawnSync(tool("pulumi"), ["cancel", "--yes", "-s", `organization/nats-global-test/${name}`], {
        cwd: os.tmpdir(),
        stdio: "ignore",
      });
      const rm = await leftover.run("rm", { connection, streams: [] });
      if (rm.code !== 0) throw new Error(`removing a leftover stack ${name} failed:\n${rm.output}`);
    }

    for (const n of SIZES) {
      const streams = specs(n);
      const input = { connection, streams };
      const seconds = {} as Record<Operation, number>;

      const biggest = n === Math.max(...SIZES);
      const watchConnections: AroundUp = async (run) => {
        const poller = pollConnections(westMonitors);
        try {
          return await run();
        } finally {
          peaks.push(await poller.stop(n));
        }
      };
      const source = await pulumiRound(stack, "pulumi", input, jsm, biggest ? watchConnections : undefined);
      // The same through the package as npm installs it: providers load it by name.
      const fromInstalled = await pulumiRound(installed, "installed", input, jsm);
      Object.assign(seconds, source.seconds, fromInstalled.seconds);
      const pulumiConfig = source.firstConfig;

      // nats CLI: one process per stream, from a shell script.
      const scripts = writeCliScripts(path.join(cliDir, String(n)), streams);
      const env = {
        BENCH_NATS: tool("nats"),
        BENCH_SERVERS: connection.servers.join(","),
        BENCH_USER: connection.user,
        BENCH_PASSWORD: connection.password,
      };
      const add = await timed(`N=${n} nats stream add x${n}`, () => runScript(scripts.add, env));
      seconds["nats add"] = add.seconds;
      await expectStreamCount(jsm, "after nats stream add", n);
      const cliConfig = normalizeWire((await jsm.streams.info(streams[0].name)).config);
      const same = JSON.stringify(pulumiConfig) === JSON.stringify(cliConfig);
      configChecks.push(
        `N=${n}: ${streams[0].name} ${same ? "same" : "DIFFERENT"} config from both methods: ` +
          `${JSON.stringify(pulumiConfig)}${same ? "" : ` vs ${JSON.stringify(cliConfig)}`}`,
      );
      if (!same)
        log(`config differs: pulumi ${JSON.stringify(pulumiConfig)} cli ${JSON.stringify(cliConfig)}`);

      const rm = await timed(`N=${n} nats stream rm x${n}`, () => runScript(scripts.rm, env));
      seconds["nats rm"] = rm.seconds;
      await expectStreamCount(jsm, "after nats stream rm", 0);

      rows.push({
        n,
        seconds,
        stateBytes: source.stateBytes,
        installedStateBytes: fromInstalled.stateBytes,
      });
    }
  } finally {
    log("cleaning up");
    if (stackUsed && harness !== undefined) {
      const input = { connection: harness.connection(CLUSTER), streams: [] };
      for (const used of [stack, installed]) {
        const destroy = await used.run("destroy", input, PULUMI_TIMEOUT_MS).catch((e: unknown) => e);
        if ((destroy as ProgramRun)?.code !== 0) log(`cleanup destroy failed: ${JSON.stringify(destroy)}`);
        await used.run("rm", input).catch((e: unknown) => log(`cleanup rm failed: ${String(e)}`));
      }
    }
    fs.rmSync(INSTALLED_PROJECT, { recursive: true, force: true });
    await nc?.close().catch(() => undefined);
    await harness?.stop().catch((e: unknown) => log(`harness stop failed: ${String(e)}`));
    fs.rmSync(cliDir, { recursive: true, force: true });
  }
  const totalMinutes = (performance.now() - started) / 60_000;

  const env = { ...machine(), load: { start: loadAtStart, end: os.loadavg() } };
  const out = [table(rows), "", marginalTable(rows)].join("\n");
  console.log(out);
  for (const p of peaks) {
    console.log(
      `\npeak "${CONNECTION_NAME}" connections on the ${CLUSTER} servers during pulumi up of ${p.n} streams: ` +
        `${p.peak} (${p.samples} polls, ${p.failedPolls} failed; all connections peak ${p.peakAll})`,
    );
  }
  configChecks.forEach((c) => console.log(c));
  console.log(`total run time ${totalMinutes.toFixed(1)} min`);
  if (WRITE_RESULTS)
    writeResults(RESULTS_FILE, resultsMarkdown(rows, peaks, configChecks, env, totalMinutes));
}

function resultsMarkdown(
  rows: Row[],
  peaks: ConnectionPeak[],
  configChecks: string[],
  env: ReturnType<typeof machine> & { load: { start: number[]; end: number[] } },
  totalMinutes: number,
): string {
  const peakLines = peaks.map(
    (p) =>
      `- During \`pulumi up\` of ${p.n} streams: peak **${p.peak}** connection(s) named ` +
      `\`${CONNECTION_NAME}\` over the 3 ${CLUSTER} servers (${JSON.stringify(p.byServer)}), ` +
      `from ${p.samples} polls of \`/connz\` every ${POLL_MS} ms (${p.failedPolls} failed); ` +
      `peak of all client connections on those servers: ${p.peakAll}.`,
  );
  return `# Stream benchmark: the Pulumi \`Stream\` resource vs the nats CLI

## What is measured

N JetStream streams (N = ${SIZES.join(", ")}), each R3 (\`numReplicas: 3\`) in cluster \`${CLUSTER}\`
(3 servers) of the 12-server seed super-cluster started by \`test/support/superClusterHarness.ts\`,
subjects \`bench.<i>.>\`, everything else at the server's defaults. For each N, on the same servers,
one after the other, each starting with no stream:

- **pulumi up / preview / destroy**: \`test/programs/jetstreamResources.ts\` declaring N \`Stream\`
  resources, run through the real Pulumi CLI by \`ProgramStack\` (Automation API, local file backend,
  the CLI's default parallelism). \`up\` creates N streams; \`preview\` runs with the same input and
  nothing to change; \`destroy\` deletes them. Each time covers the whole command as a user runs it:
  the \`ts-node\` start of the program, the Pulumi engine, the dynamic provider, the stack state writes.
- **installed up / preview / destroy**: the same streams and commands, from a fresh project that has
  the package as npm installs it (\`npm pack\`, unpacked into its node_modules) and declares them with
  \`test/fixtures/installed-package/streams.js\`, which knows the package only by its name. There the
  dynamic providers load the package by name, and each resource's state carries only the provider's
  own methods instead of the package's code.
- **nats add / nats rm**: a bash script of N lines \`nats stream add --config <stream>.json\` (the
  JSON is \`toWire(spec)\` of the same spec), one CLI process per stream, run sequentially; then a
  script of N lines \`nats stream rm -f <name>\`.
- **state after up**: the size of the stack's checkpoint file in the local file backend right after
  \`pulumi up\`.

Wall-clock time with \`performance.now()\` around each whole operation; each N runs once. Between
operations, the stream count is checked through nats.js (not timed). During the largest \`pulumi up\`,
\`/connz\` of the ${CLUSTER} servers is polled every ${POLL_MS} ms for connections named \`${CONNECTION_NAME}\`.

Reproduce (after \`npm run setup\`): \`npm run bench:streams\`. Run time of this run: ${totalMinutes.toFixed(1)} min.
\`BENCH_SIZES=5 npm run bench:streams\` makes a quick try without touching this file.

## Results

Seconds per whole operation (milliseconds per stream in parentheses):

${table(rows)}

Time per extra stream between consecutive sizes, (t₂ − t₁) / (N₂ − N₁), in milliseconds:

${marginalTable(rows)}

## Reading

${readingSection(RESULTS_FILE)}

## Connections

${peakLines.join("\n")}

## Same configuration from both methods

${configChecks.map((c) => `- ${c}`).join("\n")}

## Machine and versions

- Generated ${new Date().toISOString()} at commit ${env.commit}${env.dirty ? " (with uncommitted changes under components/ or test/)" : ""}
- Load average (1, 5, 15 min) at start: ${env.load.start.map((l) => l.toFixed(2)).join(", ")}; at end: ${env.load.end.map((l) => l.toFixed(2)).join(", ")}
- nproc: ${env.nproc}; CPU: ${env.cpu}; memory: ${env.memory}; ${env.os}
- node ${env.node}; ${env.natsServer}; pulumi ${env.pulumi}; nats CLI ${env.nats}
`;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
