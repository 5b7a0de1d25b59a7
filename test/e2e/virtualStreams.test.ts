import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { eventually } from "../support/monitor";
import { killAll, natsServerPids } from "../support/processes";
import { runInProject, TestStack } from "../support/stackRunner";
import { tool } from "../support/tools";
import { AppConfigs, RegionClients } from "../support/regionClients";
import { seedTopology } from "../support/topologies";
import { AppCredentials, connectionAuth } from "../../components/jetstream/clientAuth";
import { natsCliAuth } from "../support/credentials";
import { decodeJwt } from "../../components/credentials/jwt";
import type { AccountClaims } from "../../components/model/security/claims";
import type { ApplicationConfig } from "../../components/applicationConfig";
import { placeOrder } from "../../examples/regional-app/app";

jest.setTimeout(900_000);

const REGIONS = ["west", "central", "east"];
/**
 * How long a test waits for sources to deliver once `up` has returned. The server alone can take
 * 40 s and more after a region restarts (a source that asked while its origin had no leader waits
 * 30 s, then backs off); `up` returns only once every source is heard from again.
 */
const AFTER_UP_MS = 20_000;
const VIRTUAL_STREAMS: Record<string, unknown>[] = [
  { name: "foo", consistency: "eventual" },
  { name: "grow", consistency: "eventual", regions: ["west", "central"] },
  { name: "ord", consistency: "ordered" },
  { name: "imm", consistency: "immediate" },
  { name: "hom", consistency: "home", homeRegion: "central" },
];
/** The ids in foo once central is back from its outage: what the tests up to then published. */
const FOO_AFTER_OUTAGE = [
  "west-1",
  "central-1",
  "east-1",
  "retried",
  "after-retry",
  "east-cli",
  "west-app",
  "west-2",
  "east-2",
];
const CONFIG = {
  ...seedTopology(),
  ports: { client: 20222, cluster: 21222, gateway: 22222, monitor: 23222 },
  virtualStreams: VIRTUAL_STREAMS,
  // The walkthrough's nats CLI runs as an application's user of the region it talks to.
  applications: [{ name: "app", virtualStreams: ["foo"] }],
};

describe("virtual streams through the real Pulumi CLI: the seed's walkthrough", () => {
  let stack = new TestStack("e2e-virtual", CONFIG);
  let clients: RegionClients;
  let apps: AppConfigs;
  let regionCredentials: Record<string, AppCredentials>;
  let users: Record<string, Record<string, AppCredentials>>;
  const connections: Awaited<ReturnType<typeof connect>>[] = [];

  const client = (region: string) => clients.client(region);
  const idsIn = (region: string, virtual: string, expected: number) =>
    clients.idsIn(region, virtual, expected);
  const regionPids = (...regions: string[]) =>
    regions.flatMap((r) => natsServerPids(path.join(stack.dataDir, `${r}-`)));
  const up = async () => {
    const result = await stack.run("up", 300_000);
    expect({ code: result.code, output: result.code === 0 ? "" : result.output }).toEqual({
      code: 0,
      output: "",
    });
  };

  beforeAll(async () => {
    await up();
    apps = stack.outputs().streams as typeof apps;
    regionCredentials = stack.outputs(true).regionCredentials as typeof regionCredentials;
    users = stack.outputs(true).users as typeof users;
    clients = new RegionClients(apps, regionCredentials);
  });

  afterAll(async () => {
    await clients?.close();
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    await stack.remove();
    killAll(natsServerPids(stack.dataDir));
  });

  it("reports, per virtual stream and region, what an application needs", () => {
    expect(apps.foo.west).toEqual({
      clientUrls: ["nats://127.0.0.1:20222", "nats://127.0.0.1:20223", "nats://127.0.0.1:20224"],
      account: "APP-west",
      publishSubject: "foo.>",
      publishSubjects: ["foo.>"],
      consumeStream: "foo",
      writeStream: "foo-write-west",
    });
    expect(apps.hom.east).toMatchObject({
      account: "APP-east",
      consumeStream: "hom",
      writeStream: "hom-home",
    });
  });

  it("previews no change right after up, in every consistency mode", async () => {
    const preview = await stack.run("preview");
    expect(preview.code).toBe(0);
    expect(preview.output).not.toMatch(/\((update|replace|create|delete)\)/);
  });

  it("stores a publish on foo.test in the region's write stream, and shows it in every region as foo.test", async () => {
    for (const region of REGIONS) {
      const { js } = await client(region);
      const ack = await js.publish("foo.test", `hello from ${region}`, { msgID: `${region}-1` });
      expect({ region, stream: ack.stream }).toEqual({ region, stream: `foo-write-${region}` });
    }
    for (const region of REGIONS) {
      const { jsm, js } = await client(region);
      const info = await eventually(`foo in ${region} to hold 3 messages`, async () => {
        const i = await jsm.streams.info("foo");
        return i.state.messages === 3 ? i : undefined;
      });
      // The region's own stream, in its account: the name in a consumer create's body is its name.
      expect({ name: info.config.name, cluster: info.cluster?.name }).toEqual({
        name: "foo",
        cluster: region,
      });
      await jsm.consumers.add("foo", { durable_name: "js-reader", ack_policy: AckPolicy.Explicit });
      const consumer = await js.consumers.get("foo", "js-reader");
      const subjects: string[] = [];
      for await (const m of await consumer.fetch({ max_messages: 3, expires: 2000 })) {
        subjects.push(m.subject);
        await m.ackAck();
      }
      expect(subjects).toEqual(["foo.test", "foo.test", "foo.test"]);
      expect((await consumer.info()).ack_floor.stream_seq).toBe(3);
    }
  });

  it("stores once a publish that an application retried in another region with the same message id", async () => {
    // The application's region failed mid-publish, so it published again through another region.
    await (await client("west")).js.publish("foo.retried", "first try", { msgID: "retried" });
    await (await client("east")).js.publish("foo.retried", "second try", { msgID: "retried" });
    // Sources deliver in order: once this is in a read stream, so is east's retry.
    await (await client("east")).js.publish("foo.retried", "after the retry", { msgID: "after-retry" });
    for (const region of REGIONS) {
      const ids = await eventually(`${region} to hold after-retry`, async () => {
        const found = await idsIn(region, "foo", 10);
        return found.includes("after-retry") ? found : undefined;
      });
      expect({ region, retried: ids.filter((id) => id === "retried").length }).toEqual({
        region,
        retried: 1,
      });
    }
  });

  it("works with the nats CLI as the client, with each region's user: req, stream info, consumers", () => {
    const nats = (region: string, ...args: string[]) => {
      const auth = natsCliAuth(users.app[region]);
      const result = spawnSync(
        tool("nats"),
        [`--server=${apps.foo[region].clientUrls.join(",")}`, ...auth, ...args],
        { encoding: "utf8", timeout: 60_000 },
      );
      return `${result.stdout}${result.stderr}`;
    };
    expect(nats("east", "req", "-H", "Nats-Msg-Id:east-cli", "foo.test", "hello from the CLI")).toMatch(
      /"stream":"foo-write-east"/,
    );
    const info = JSON.parse(nats("central", "stream", "info", "foo", "--json"));
    expect({ name: info.config.name, cluster: info.cluster.name }).toEqual({
      name: "foo",
      cluster: "central",
    });
    expect(nats("central", "consumer", "add", "foo", "cli-reader", "--pull", "--defaults")).toMatch(
      /Information for Consumer foo > cli-reader/,
    );
    expect(nats("central", "consumer", "next", "foo", "cli-reader", "--count", "1")).toMatch(
      /subj: foo\.test/,
    );
    // nats.go's ordered consumer, which put "foo" in the body of a create the server refused when
    // the name was only mapped (err_code=10056).
    expect(nats("east", "sub", "foo.>", "--stream", "foo", "--all", "--count", "3")).toMatch(
      /\[#1\] Received JetStream message: stream: foo seq: 1 [\s\S]*\[#3\] Received JetStream message: stream: foo seq: 3 /,
    );
  });

  it("prints an application's config (npm run app-config), with which the nats CLI needs no flags", async () => {
    const appConfig = async (...args: string[]) => {
      const run = await runInProject(["ts-node", "scripts/appConfig.ts", stack.name, ...args], 60_000, {
        env: stack.contextEnv(),
      });
      expect({ code: run.code, error: run.code === 0 ? "" : run.output }).toEqual({ code: 0, error: "" });
      return run.output;
    };
    const env = Object.fromEntries(
      (await appConfig("west", "--format", "env"))
        .trim()
        .split("\n")
        .map((line) => line.match(/^(\w+)='(.*)'$/)?.slice(1) as [string, string]),
    );
    expect(Object.keys(env).sort()).toEqual([
      "NATS_CA",
      "NATS_CREDS",
      "NATS_STREAM_FOO",
      "NATS_SUBJECTS_FOO",
      "NATS_URL",
    ]);
    expect(env).toMatchObject({ NATS_STREAM_FOO: "foo", NATS_SUBJECTS_FOO: "foo.>" });
    expect(fs.readFileSync(env.NATS_CREDS, "utf8")).toBe((users.app.west as { creds: string }).creds);
    const nats = (...args: string[]) => {
      const result = spawnSync(tool("nats"), args, {
        encoding: "utf8",
        // No selected context of the user's: the variables alone.
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...stack.contextEnv(), ...env },
      });
      return `${result.stdout}${result.stderr}`;
    };
    expect(nats("req", "-H", "Nats-Msg-Id:west-app", "foo.test", "from the app config")).toMatch(
      /"stream":"foo-write-west"/,
    );
    expect(JSON.parse(nats("stream", "info", env.NATS_STREAM_FOO, "--json")).cluster.name).toBe("west");

    const json = JSON.parse(await appConfig("east", "--format", "json", "--creds", "inline"));
    expect(json).toEqual({
      region: "east",
      urls: apps.foo.east.clientUrls,
      credentials: users.app.east,
      streams: { foo: { stream: "foo", publishSubjects: ["foo.>"] } },
    });
  });

  it("loses nothing while a region is down, and catches up when `up` restarts it", async () => {
    killAll(regionPids("central"));
    await eventually("central to be down", async () =>
      regionPids("central").length === 0 ? true : undefined,
    );
    for (const region of ["west", "east"])
      await (await client(region)).js.publish("foo.test", "while central is down", { msgID: `${region}-2` });
    const started = Date.now();
    await up();
    for (const region of REGIONS) {
      await eventually(
        `${region} to hold every message`,
        async () => {
          const ids = await idsIn(region, "foo", 6);
          return FOO_AFTER_OUTAGE.every((id) => ids.includes(id)) ? ids : undefined;
        },
        AFTER_UP_MS,
      );
    }
    console.log(`one region down: every read stream complete ${Date.now() - started} ms after \`up\` began`);
  });

  /** In central cut off from the others: publishes are stored, existing consumers deliver, new ones are refused. */
  const isolatedCentral = async (central: Awaited<ReturnType<typeof client>>) => {
    const ack = await central.js.publish("foo.test", "alone in central", { msgID: "central-isolated" });
    expect(ack.stream).toBe("foo-write-central");
    const reader = await central.js.consumers.get("foo", "isolated-reader");
    const delivered = await eventually(
      "the existing consumer to deliver",
      async () => (await reader.next({ expires: 1000 })) ?? undefined,
    );
    expect(delivered.headers?.get("Nats-Msg-Id")).toBe("central-isolated");
    delivered.ack();
    const refused = await central.jsm.consumers
      .add("foo", { durable_name: "new-reader", ack_policy: AckPolicy.Explicit })
      .then(
        () => "created",
        (e: Error) => e.message,
      );
    expect(refused).toMatch(/temporarily unavailable|timeout|no responders/i);
  };

  it("keeps an isolated region writing and reading, then converges after a split brain, with no loss or duplicate", async () => {
    const central = await client("central");
    // Isolate a region whose sources all flow: right after its restart, a source whose origin had
    // no leader yet is retried with the server's backoff.
    await central.js.publish("foo.test", "before the split", { msgID: "central-2" });
    const probed = Date.now();
    for (const region of REGIONS) {
      await eventually(
        `${region} to hold central-2`,
        async () => ((await idsIn(region, "foo", 10)).includes("central-2") ? true : undefined),
        AFTER_UP_MS,
      );
    }
    console.log(
      `a publish in central right after its restart reached every region in ${Date.now() - probed} ms`,
    );
    await central.jsm.consumers.add("foo", {
      durable_name: "isolated-reader",
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
    });

    killAll(regionPids("west", "east"));
    let healed = false;
    try {
      await eventually("west and east to be down", async () =>
        regionPids("west", "east").length === 0 ? true : undefined,
      );
      await isolatedCentral(central);
      killAll(regionPids("central"));
      await up();
      healed = true;
    } finally {
      // The later tests need every region up, whatever failed here.
      if (!healed) await up().catch(() => undefined);
    }
    await (await client("east")).js.publish("foo.test", "after the heal", { msgID: "east-healed" });
    const started = Date.now();
    const expected = [...FOO_AFTER_OUTAGE, "central-2", "central-isolated", "east-healed"];
    const seen: Record<string, string[]> = {};
    for (const region of REGIONS) {
      seen[region] = await eventually(
        `${region} to converge`,
        async () => {
          const ids = await idsIn(region, "foo", 12);
          return expected.every((id) => ids.includes(id)) ? ids : undefined;
        },
        AFTER_UP_MS,
      );
    }
    console.log(
      `split brain healed: every read stream converged ${Date.now() - started} ms after the last publish`,
    );
    for (const region of REGIONS) {
      expect({ region, ids: [...seen[region]].sort() }).toEqual({ region, ids: [...expected].sort() });
    }
  });

  it("feeds an application's own Pulumi program through a StackReference, and the application runs on it", async () => {
    const deploy = (command: string) =>
      runInProject(
        [
          "ts-node",
          "examples/regional-app/deploy.ts",
          command,
          "e2e-regional-app",
          stack.name,
          "central",
          "app",
        ],
        180_000,
      );
    try {
      const up = await deploy("up");
      expect({ code: up.code, error: up.code === 0 ? "" : up.output }).toEqual({ code: 0, error: "" });
      const output = await deploy("output");
      const config = JSON.parse(output.output) as ApplicationConfig;
      expect(config).toMatchObject({ region: "central", urls: apps.foo.central.clientUrls });
      expect(await placeOrder(config, "foo", "c42", "two coffees")).toEqual({
        storedBy: "foo-write-central",
        readBack: "two coffees",
      });
    } finally {
      const destroy = await deploy("destroy");
      expect({ code: destroy.code, error: destroy.code === 0 ? "" : destroy.output }).toEqual({
        code: 0,
        error: "",
      });
    }
  });

  it("serves a region's user by the virtual names through the stretch cluster's servers too", async () => {
    const clusters = stack.outputs().clusters as Record<string, { clientUrls: string[] }>;
    const nc = await connect({
      servers: clusters.stretch.clientUrls,
      ...connectionAuth(regionCredentials.west),
    });
    connections.push(nc);
    const ack = await jetstream(nc).publish("foo.test", "from the stretch cluster", { msgID: "stretch-1" });
    expect(ack.stream).toBe("foo-write-west");
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    expect((await jsm.streams.info("foo")).cluster?.name).toBe("west");
  });

  it("ordered: every region's read stream holds the same messages in the same order, retries once", async () => {
    for (const [i, region] of [...REGIONS, ...REGIONS].entries()) {
      const ack = await (await client(region)).js.publish(`ord.${i}`, `ordered ${i}`, { msgID: `ord-${i}` });
      expect(ack.stream).toBe(`ord-write-${region}`);
    }
    // ord-0 was published in west: retried through east, then a last message after it from east.
    await (await client("east")).js.publish("ord.0", "ordered 0, retried", { msgID: "ord-0" });
    await (await client("east")).js.publish("ord.6", "ordered 6", { msgID: "ord-6" });
    const orders = await Promise.all(
      REGIONS.map((region) =>
        eventually(
          `ord in ${region}`,
          async () => {
            const ids = await idsIn(region, "ord", 8);
            return ids.includes("ord-6") ? ids : undefined;
          },
          AFTER_UP_MS,
        ),
      ),
    );
    expect([...orders[0]].sort()).toEqual(["ord-0", "ord-1", "ord-2", "ord-3", "ord-4", "ord-5", "ord-6"]);
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
  });

  it("immediate: a publish with an expected last sequence succeeds once and fails when stale", async () => {
    const { js } = await client("east");
    const first = await js.publish("imm.account", "v1");
    expect(first.stream).toBe("imm-global");
    const second = await js.publish("imm.account", "v2", { expect: { lastSequence: first.seq } });
    expect(second.seq).toBe(first.seq + 1);
    await expect(js.publish("imm.account", "v3", { expect: { lastSequence: first.seq } })).rejects.toThrow(
      /wrong last sequence/,
    );
  });

  it("home: writes from any region land in the home stream, reads are local", async () => {
    const ack = await (await client("west")).js.publish("hom.x", "to the home region", { msgID: "hom-1" });
    expect(ack.stream).toBe("hom-home");
    const { jsm } = await client("west");
    const info = await eventually(
      "the west mirror to have it",
      async () => {
        const i = await jsm.streams.info("hom");
        return i.state.messages === 1 ? i : undefined;
      },
      AFTER_UP_MS,
    );
    expect(info.cluster?.name).toBe("west");
  });

  it("adds a region to a live eventual stream: its streams, a source on the others, no message lost", async () => {
    for (const region of ["west", "central"]) {
      await (
        await client(region)
      ).js.publish("grow.x", `before east joins, from ${region}`, { msgID: `grow-${region}` });
    }
    const grown = VIRTUAL_STREAMS.map((v) => (v.name === "grow" ? { ...v, regions: REGIONS } : v));
    stack = new TestStack("e2e-virtual", { ...CONFIG, virtualStreams: grown });
    const preview = await stack.run("preview");
    expect(preview.code).toBe(0);
    // `--diff` output: "+ <type>: (create)", the id of an existing resource, then its URN, which
    // ends with its name.
    const steps =
      /([+~-]+) pulumi-nodejs:dynamic\/[\w/]+:\w+: \(\w+\)\n(?:\s+\[id=[^\]]*\]\n)?\s+\[urn=[^\]]*::([\w-]+)\]/g;
    const planned = [...preview.output.matchAll(steps)];
    expect(planned.map((m) => `${m[1]} ${m[2]}`).sort()).toEqual(
      [
        "+ grow-read-east",
        "+ grow-write-east",
        "~ grow-links-exports",
        "~ grow-links-imports-app-west",
        "~ grow-links-imports-app-central",
        "+ grow-links-imports-app-east",
        "~ grow-sources",
        "~ grow-read-central",
        "~ grow-read-west",
      ].sort(),
    );
    await up();
    apps = stack.outputs().streams as typeof apps;
    clients.apps = apps;
    await (await client("east")).js.publish("grow.x", "east has joined", { msgID: "grow-east" });
    for (const region of REGIONS) {
      const ids = await eventually(
        `grow in ${region}`,
        async () => {
          const found = await idsIn(region, "grow", 3);
          return found.length === 3 ? found : undefined;
        },
        AFTER_UP_MS,
      );
      expect({ region, ids: ids.sort() }).toEqual({
        region,
        ids: ["grow-central", "grow-east", "grow-west"],
      });
    }
  });

  it("removes one virtual stream without touching the others' links or restarting servers", async () => {
    // The application account's JWT as west-1 stores it (operator mode: exports live there).
    const heldExports = () => {
      const dir = path.join(stack.dataDir, "west-1", "jwt");
      const claims = fs
        .readdirSync(dir)
        .map((file) => decodeJwt<AccountClaims>(fs.readFileSync(path.join(dir, file), "utf8")))
        .find((c) => c.name === "APP");
      return claims?.nats.exports ?? [];
    };
    const before = heldExports();
    // Exports of a virtual stream name it, or its streams, in a token.
    const owned = (virtual: string, exports: typeof before) =>
      exports.filter((e) => e.subject.split(".").some((t) => t === virtual || t.startsWith(`${virtual}-`)));
    expect(owned("imm", before).length).toBeGreaterThan(0);
    const pidsBefore = natsServerPids(stack.dataDir).sort();

    const remaining = VIRTUAL_STREAMS.filter((v) => v.name !== "imm").map((v) =>
      v.name === "grow" ? { ...v, regions: REGIONS } : v,
    );
    stack = new TestStack("e2e-virtual", { ...CONFIG, virtualStreams: remaining });
    await up();

    expect(natsServerPids(stack.dataDir).sort()).toEqual(pidsBefore);
    const after = await eventually("west-1 to store the account without imm's exports", async () => {
      const held = heldExports();
      return owned("imm", held).length === 0 ? held : undefined;
    });
    expect(owned("foo", after)).toEqual(owned("foo", before));
    expect(fs.existsSync(path.join(stack.dataDir, "west-1", "links"))).toBe(false);
    const { js, jsm } = await client("west");
    await expect(jsm.streams.info("imm")).rejects.toThrow(/stream not found/);
    expect((await js.publish("foo.test", "still here", { msgID: "west-after-removal" })).stream).toBe(
      "foo-write-west",
    );
  });
});
