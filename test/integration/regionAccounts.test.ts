import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { serverFiles, startServer, stopServer } from "../../components/platforms/local/processes";
import { setLinksFile } from "../../components/platforms/local/configFiles";
import type { NatsServerConfig } from "../../components/model/serverConfig";
import { regionAccount } from "../../components/model/accounts";
import { accountLinks, fromApplicationAccount } from "../../components/model/regionAccounts";
import { eventually } from "../support/monitor";
import { tool } from "../support/tools";

/**
 * The layout that gives every client one stream name (issue 17, item 1), on a real nats-server:
 * the write streams in the account APP, and per region an account whose read stream is named as
 * the virtual stream and sources APP's write streams across accounts. nats-server refuses a
 * consumer create whose body names another stream than its subject (jetstream_api.go,
 * jsConsumerCreateRequest), so a stream of the virtual name must exist where clients ask.
 */
jest.setTimeout(120_000);

const PORT = 29_222;
const MONITOR = 29_322;
const REGIONS = ["west", "east"];
const write = (region: string) => `foo-write-${region}`;
/** foo as an eventual virtual stream plans it: every region reads every region's writes. */
const LINKS = accountLinks(
  "foo",
  Object.fromEntries(
    REGIONS.map((r) => [
      r,
      { origins: REGIONS.map(write), publishes: [{ local: "foo.>", remote: `foo.${r}.>` }] },
    ]),
  ),
);

function config(dir: string, logFile: string): NatsServerConfig {
  const regional = (region: string) => ({
    jetstream: "enabled",
    users: [
      { user: `admin-${region}`, password: "admin" },
      { user: `app-${region}`, password: "app" },
    ],
  });
  return {
    server_name: "solo",
    listen: `127.0.0.1:${PORT}`,
    http: `127.0.0.1:${MONITOR}`,
    server_tags: [],
    log_file: logFile,
    ping_interval: "1s",
    ping_max: 3,
    jetstream: { store_dir: dir, max_memory_store: 64 << 20, max_file_store: 256 << 20, unique_tag: "az:" },
    accounts: {
      APP: { jetstream: "enabled", users: [{ user: "admin", password: "admin" }] },
      ...Object.fromEntries(REGIONS.map((r) => [regionAccount(r), regional(r)])),
      SYS: { users: [{ user: "sys", password: "sys" }] },
    },
    system_account: "SYS",
  } as unknown as NatsServerConfig;
}

describe("one account per region: the read stream carries the virtual name", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-region-accounts-"));
  const connections: NatsConnection[] = [];
  const as = async (user: string, password: string) => {
    const nc = await connect({ servers: `127.0.0.1:${PORT}`, user, pass: password });
    connections.push(nc);
    return nc;
  };

  beforeAll(async () => {
    const files = serverFiles(path.join(dir, "solo"));
    // As the local platform puts them: one owner's links file, merged into the config at start.
    setLinksFile(files.dir, "foo", LINKS);
    await startServer({
      binary: tool("nats-server"),
      dir: files.dir,
      config: config(files.storeDir, files.logFile),
      monitorUrl: `http://127.0.0.1:${MONITOR}`,
      timeoutMs: 20_000,
    });
    const app = await jetstreamManager(await as("admin", "admin"));
    for (const region of REGIONS) {
      await app.streams.add({ name: write(region), subjects: [`foo.${region}.>`] });
    }
    for (const region of REGIONS) {
      const jsm = await jetstreamManager(await as(`admin-${region}`, "admin"));
      await jsm.streams.add({
        name: "foo",
        allow_direct: true,
        sources: REGIONS.map((r) => ({
          name: write(r),
          external: fromApplicationAccount("foo", region),
          subject_transforms: [{ src: `foo.${r}.>`, dest: "foo.>" }],
        })),
      });
    }
  });

  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close()));
    await stopServer(path.join(dir, "solo"), 5000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("stores a region's publish in its write stream, and every region's stream foo holds every region's", async () => {
    for (const region of REGIONS) {
      const js = jetstream(await as(`app-${region}`, "app"));
      const ack = await js.publish(`foo.orders.${region}`, `from ${region}`, { msgID: region });
      expect(ack.stream).toBe(write(region));
    }
    for (const region of REGIONS) {
      const jsm = await jetstreamManager(await as(`app-${region}`, "app"));
      await eventually(`${region}'s foo to hold both`, async () =>
        (await jsm.streams.info("foo")).state.messages === 2 ? true : undefined,
      );
    }
  });

  it("sources a backlog across accounts under flow control: 20 000 publishes reach the other region", async () => {
    const js = jetstream(await as("app-west", "app"));
    const payload = "x".repeat(1024);
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(Array.from({ length: 1000 }, () => js.publish("foo.bulk", payload)));
    }
    const east = await jetstreamManager(await as("app-east", "app"));
    await eventually(
      "east's foo to hold the backlog",
      async () => ((await east.streams.info("foo")).state.messages === 20_002 ? true : undefined),
      60_000,
    );
  });

  it("serves nats.js consumers by the virtual name: ordered, durable, and direct gets", async () => {
    const nc = await as("app-east", "app");
    const js = jetstream(nc);
    const ordered = await js.consumers.get("foo", { deliver_policy: DeliverPolicy.All });
    const seen: string[] = [];
    for await (const m of await ordered.fetch({ max_messages: 2, expires: 5000 })) seen.push(m.subject);
    expect(seen.sort()).toEqual(["foo.orders.east", "foo.orders.west"]);

    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add("foo", { durable_name: "billing", ack_policy: AckPolicy.Explicit });
    const message = await (await js.consumers.get("foo", "billing")).next({ expires: 5000 });
    expect(message?.subject).toMatch(/^foo\.orders\./);
    message?.ack();

    const last = await jsm.direct.getMessage("foo", { last_by_subj: "foo.orders.west" });
    expect(last?.string()).toBe("from west");
  });

  it("serves the nats CLI's ordered consumer by the virtual name (nats sub --stream, nats.go)", () => {
    const result = spawnSync(
      tool("nats"),
      [
        `--server=127.0.0.1:${PORT}`,
        "--user=app-west",
        "--password=app",
        "sub",
        "foo.>",
        "--stream=foo",
        "--all",
        "--count=2",
      ],
      { encoding: "utf8", timeout: 15_000 },
    );
    expect(`${result.stdout}${result.stderr}`).toMatch(/Received JetStream message: stream: foo seq: 2/);
    expect(result.status).toBe(0);
  });
});
