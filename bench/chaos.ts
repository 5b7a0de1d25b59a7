/*
 * Chaos soak: the seed's super-cluster with each region in its own network namespace (stack
 * `bench-chaos`, needs root), a publisher in every region writing steadily with message ids to an
 * eventual (`foo`) and an ordered (`ord`) virtual stream, while random faults hit the regions:
 * partitions (one region cut off, then healed) and SIGKILLs of servers (restarted by `up`, as a user
 * would). At the end every acknowledged message must be in every read stream exactly once.
 *
 *   npm run bench:chaos                               # 5 minutes, writes bench/RESULTS-chaos.md
 *   CHAOS_SECONDS=60 CHAOS_SEED=7 npm run bench:chaos  # a quick try; the file is left alone
 */
import * as path from "path";
import { killAll, natsServerPids } from "../test/support/processes";
import { AppConfigs, RegionClients } from "../test/support/regionClients";
import { eventually } from "../test/support/monitor";
import { runInProject, TestStack } from "../test/support/stackRunner";
import { PROJECT_DIR } from "../test/support/tools";
import { machine } from "./machine";
import { readingSection, writeResults } from "./resultsFile";
import { seedTopology } from "../test/support/topologies";
import type { AppCredentials } from "../components/jetstream/clientAuth";

const envNumber = (name: string, fallback: number) =>
  process.env[name] === undefined ? fallback : Number(process.env[name]);
const SECONDS = envNumber("CHAOS_SECONDS", 300);
const SEED = envNumber("CHAOS_SEED", 1);
/** Messages per second each region's publisher aims at, to each virtual stream. */
const RATE = envNumber("CHAOS_RATE", 20);
const WRITE_RESULTS = ["CHAOS_SECONDS", "CHAOS_SEED", "CHAOS_RATE"].every(
  (n) => process.env[n] === undefined,
);

const STACK = "bench-chaos";
const REGIONS = ["west", "central", "east"];
const VIRTUALS = ["foo", "ord"];
const CONFIG = {
  ...seedTopology(),
  ports: { client: 16722, cluster: 16822, gateway: 16922, monitor: 17022 },
  network: "namespaces",
  networkOctet: 93,
  virtualStreams: [
    { name: "foo", consistency: "eventual" },
    { name: "ord", consistency: "ordered" },
  ],
};
const RESULTS_FILE = path.join(PROJECT_DIR, "bench", "RESULTS-chaos.md");
/** A publish is retried (same id) for this long before the publisher gives the message up. */
const GIVE_UP_MS = 60_000;
const CONVERGENCE_TIMEOUT_MS = 300_000;
const UP_TIMEOUT_MS = 600_000;

const log = (message: string) => process.stderr.write(`[chaos] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** mulberry32: the same faults for the same seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Tally {
  acked: Map<string, string[]>;
  givenUp: number;
  retried: number;
}

/** A region's application: publishes to every virtual stream at RATE until `stopAt`, retrying by id. */
async function publisher(
  clients: RegionClients,
  region: string,
  stopAt: number,
  tally: Tally,
): Promise<void> {
  const { js } = await clients.client(region);
  for (let i = 0; Date.now() < stopAt; i++) {
    const started = Date.now();
    for (const virtual of VIRTUALS) {
      const id = `${virtual}-${region}-${i}`;
      const deadline = Date.now() + GIVE_UP_MS;
      for (let attempt = 0; ; attempt++) {
        try {
          await js.publish(`${virtual}.${region}`, id, { msgID: id, timeout: 2_000 });
          tally.acked.get(virtual)?.push(id);
          break;
        } catch {
          if (attempt === 0) tally.retried++;
          if (Date.now() > deadline) {
            tally.givenUp++;
            break;
          }
          await sleep(250);
        }
      }
    }
    await sleep(Math.max(0, 1000 / RATE - (Date.now() - started)));
  }
}

interface FaultLog {
  partitions: number;
  kills: number;
  ups: number;
  /** `up` runs that failed: the report says so, and the next `up` tries again. */
  failedUps: number;
  /** Per heal: ms until every read stream held as many messages as had been acknowledged. */
  convergence: number[];
  /** Heals after which the read streams had not converged within CONVERGENCE_TIMEOUT_MS. */
  unconverged: number;
}

/** Whether every read stream of `virtual` holds at least `count` messages. */
async function holdsAtLeast(clients: RegionClients, virtual: string, count: number): Promise<boolean> {
  for (const region of REGIONS) {
    const { jsm } = await clients.client(region);
    const info = await jsm.streams.info(clients.apps[virtual][region].consumeStream);
    if (info.state.messages < count) return false;
  }
  return true;
}

/** What has been acknowledged so far, per virtual stream, and when. */
function snapshot(tally: Tally) {
  return { at: Date.now(), targets: VIRTUALS.map((v) => [v, tally.acked.get(v)?.length ?? 0] as const) };
}

/**
 * Time from the snapshot until every read stream holds at least what had been acknowledged then;
 * undefined when they did not within CONVERGENCE_TIMEOUT_MS, which the report counts.
 */
async function convergence(
  clients: RegionClients,
  since: ReturnType<typeof snapshot>,
): Promise<number | undefined> {
  while (Date.now() - since.at < CONVERGENCE_TIMEOUT_MS) {
    const held = await Promise.all(
      since.targets.map(([v, n]) => holdsAtLeast(clients, v, n).catch(() => false)),
    );
    if (held.every(Boolean)) return Date.now() - since.at;
    await sleep(250);
  }
  log(`read streams did not converge within ${CONVERGENCE_TIMEOUT_MS / 1000} s`);
  return undefined;
}

async function up(stack: TestStack, faults: FaultLog): Promise<void> {
  const result = await stack.run("up", UP_TIMEOUT_MS);
  faults.ups++;
  if (result.code !== 0) {
    faults.failedUps++;
    log(`up failed, the next one tries again:\n${result.output.slice(-3000)}`);
    return;
  }
  // Which sources `up` found silent and resumed, and how long that took.
  for (const line of result.output.split("\n").filter((l) => /SourceResume \S+ updated/.test(l))) {
    log(line.trim());
  }
}

async function chaos(
  stack: TestStack,
  clients: RegionClients,
  stopAt: number,
  tally: Tally,
): Promise<FaultLog> {
  const next = random(SEED);
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
  const network = (...args: string[]) =>
    runInProject(["ts-node", "scripts/network.ts", ...args, "--stack", STACK], 60_000);
  const faults = noFaults();
  while (Date.now() < stopAt) {
    await sleep(3_000 + next() * 7_000);
    let recovery: ReturnType<typeof snapshot>;
    if (next() < 0.5) {
      const region = pick(REGIONS);
      const hold = 5_000 + next() * 25_000;
      log(`partition: ${region} cut off for ${(hold / 1000).toFixed(0)} s`);
      await network("partition", region);
      faults.partitions++;
      await sleep(hold);
      await network("heal");
      recovery = snapshot(tally);
    } else {
      const server = `${pick([...REGIONS, "stretch"])}-${1 + Math.floor(next() * 3)}`;
      log(`SIGKILL ${server}, then up`);
      killAll(natsServerPids(path.join(stack.dataDir, server, "nats-server.json")));
      faults.kills++;
      await sleep(2_000 + next() * 8_000);
      recovery = snapshot(tally);
    }
    // What a user does after a fault: `up` restarts what died and resumes silent sources.
    await up(stack, faults);
    const ms = await convergence(clients, recovery);
    if (ms === undefined) faults.unconverged++;
    else {
      faults.convergence.push(ms);
      log(`converged ${ms} ms after the heal or the start of \`up\`, \`up\` included`);
    }
  }
  return faults;
}

const noFaults = (): FaultLog => ({
  partitions: 0,
  kills: 0,
  ups: 0,
  failedUps: 0,
  convergence: [],
  unconverged: 0,
});

/** Per read stream, the ids it holds: lost are acknowledged ids it lacks, duplicated the ids held twice. */
async function verify(clients: RegionClients, tally: Tally) {
  const rows: { stream: string; held: number; lost: number; duplicated: number }[] = [];
  const orders: string[][] = [];
  for (const virtual of VIRTUALS) {
    const acked = tally.acked.get(virtual) ?? [];
    for (const region of REGIONS) {
      const ids = await clients.allIds(region, virtual);
      const seen = new Set(ids);
      rows.push({
        stream: clients.apps[virtual][region].consumeStream,
        held: ids.length,
        lost: acked.filter((id) => !seen.has(id)).length,
        duplicated: ids.length - seen.size,
      });
      if (virtual === "ord") orders.push(ids);
    }
  }
  const sameOrder = orders.every((o) => JSON.stringify(o) === JSON.stringify(orders[0]));
  return { rows, sameOrder };
}

async function main(): Promise<void> {
  const stack = new TestStack(STACK, CONFIG);
  log(`up of ${STACK}`);
  const faults = noFaults();
  await up(stack, faults);
  if (faults.failedUps > 0) throw new Error(`the first up of ${STACK} failed: nothing to measure`);
  const outputs = stack.outputs(true) as {
    streams: AppConfigs;
    regionCredentials: Record<string, AppCredentials>;
  };
  const clients = new RegionClients(outputs.streams, outputs.regionCredentials);
  const tally: Tally = { acked: new Map(VIRTUALS.map((v) => [v, []])), givenUp: 0, retried: 0 };
  try {
    const started = Date.now();
    const stopAt = started + SECONDS * 1000;
    const publishing = Promise.all(REGIONS.map((r) => publisher(clients, r, stopAt, tally)));
    const injected = await chaos(stack, clients, stopAt, tally);
    await publishing;
    const elapsed = (Date.now() - started) / 1000;
    log("final heal and up, then every read stream checked id by id");
    await runInProject(["ts-node", "scripts/network.ts", "heal", "--stack", STACK], 60_000);
    const end = snapshot(tally);
    await up(stack, injected);
    const finalMs = await convergence(clients, end);
    if (finalMs === undefined) injected.unconverged++;
    // A server that just restarted may not answer yet ("no responders"): every failure is asked
    // again, within a bound, and the last one reported if it persists.
    const { rows, sameOrder } = await eventually(
      "every read stream listed id by id",
      () => verify(clients, tally),
      120_000,
    );
    const acked = VIRTUALS.map((v) => tally.acked.get(v)?.length ?? 0);
    const report = {
      seconds: elapsed,
      rate: (acked.reduce((a, b) => a + b, 0) / elapsed).toFixed(1),
      acked,
      injected,
      finalMs,
      rows,
      sameOrder,
    };
    log(JSON.stringify(report));
    if (WRITE_RESULTS) writeResults(RESULTS_FILE, markdown(report, tally));
    const broken = rows.filter((r) => r.lost > 0 || r.duplicated > 0);
    const { unconverged } = injected;
    if (broken.length > 0 || !sameOrder || unconverged > 0) {
      throw new Error(
        `messages lost or duplicated, orders differ, or streams not converged: ${JSON.stringify({ broken, sameOrder, unconverged })}`,
      );
    }
  } finally {
    await clients.close();
    await runInProject(["ts-node", "scripts/network.ts", "heal", "--stack", STACK], 60_000);
    await stack.remove();
  }
}

function markdown(
  report: {
    seconds: number;
    rate: string;
    acked: number[];
    injected: FaultLog;
    finalMs: number | undefined;
    rows: { stream: string; held: number; lost: number; duplicated: number }[];
    sameOrder: boolean;
  },
  tally: Tally,
): string {
  const m = machine();
  const converged = [
    ...report.injected.convergence,
    ...(report.finalMs !== undefined ? [report.finalMs] : []),
  ];
  const longest = converged.length > 0 ? `${(Math.max(...converged) / 1000).toFixed(1)} s` : "none converged";
  return `# Chaos soak: partitions and SIGKILLs under steady load

Reproduce: \`npm run bench:chaos\` (as root: regions in network namespaces), ${SECONDS} s, seed ${SEED}.
Machine: ${m.nproc} cores (${m.cpu}), ${m.memory}, ${m.os}; Node.js ${m.node}; ${m.natsServer};
pulumi ${m.pulumi}; commit ${m.commit}${m.dirty ? " with local changes" : ""}.

The seed's super-cluster (3 regions of 3 servers, a stretch cluster of 3), each region in a network
namespace. One publisher per region writes to \`foo\` (eventual) and \`ord\` (ordered), ${RATE}
messages a second each, every message with a \`Nats-Msg-Id\`; a failed publish is retried with the
same id for up to ${GIVE_UP_MS / 1000} s. Every 3–10 s a fault: a region cut off for 5–30 s and
healed (\`npm run partition\`, \`npm run heal\`), or a server SIGKILLed; after each, \`up\` (which
restarts dead servers and resumes silent sources) and a wait until every read stream holds at least
what had been acknowledged at the heal, or when \`up\` began after a kill (the convergence
time, \`up\` included).

| figure | value |
| --- | --- |
| run | ${report.seconds.toFixed(0)} s |
| load held (acknowledged publishes per second, all regions and streams) | ${report.rate} |
| messages acknowledged (foo, ord) | ${report.acked.join(", ")} |
| publishes that needed a retry | ${tally.retried} |
| messages given up by a publisher after ${GIVE_UP_MS / 1000} s | ${tally.givenUp} |
| partitions injected | ${report.injected.partitions} |
| servers SIGKILLed | ${report.injected.kills} |
| \`up\` runs (failed) | ${report.injected.ups} (${report.injected.failedUps}) |
| convergence after each heal or restart, ms (\`up\` included) | ${report.injected.convergence.join(", ") || "none"} |
| longest convergence after a heal or restart | ${longest} |
| heals after which the read streams had not converged within ${CONVERGENCE_TIMEOUT_MS / 1000} s | ${report.injected.unconverged} |
| ordered streams in one order | ${report.sameOrder ? "yes" : "**no**"} |

| read stream | messages held | acknowledged but lost | duplicated |
| --- | --: | --: | --: |
${report.rows.map((r) => `| ${r.stream} | ${r.held} | ${r.lost} | ${r.duplicated} |`).join("\n")}

## Reading

${readingSection(RESULTS_FILE)}
`;
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
