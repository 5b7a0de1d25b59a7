import { createUser } from "@nats-io/nkeys";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { closeAllSessions, ConnectionSpec, session } from "../../components/jetstream/connection";
import { StreamInputs, streamProvider } from "../../components/jetstream/streamProvider";
import { healthProblem } from "../../components/platforms/local/health";
import { accountLinksProvider } from "../../components/platforms/local/accountLinksProvider";
import { eventually } from "../support/monitor";
import { SuperClusterHarness } from "../support/superClusterHarness";
import { tool } from "../support/tools";

jest.setTimeout(180_000);

const create = (inputs: StreamInputs) => streamProvider.create(inputs);

afterAll(() => closeAllSessions());

describe("JetStream connections", () => {
  it("fail within the connect timeout when no server answers, naming the servers", async () => {
    const started = Date.now();
    await expect(session({ servers: ["nats://127.0.0.1:1"], connectTimeoutMs: 1000 })).rejects.toThrow(
      /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1 within 1000 ms/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  describe("against a server with token or NKey users", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-auth-"));
    const user = createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    let server: ReturnType<typeof spawn>;

    beforeAll(async () => {
      const config = {
        listen: "127.0.0.1:10622",
        http: "127.0.0.1:10722",
        jetstream: { store_dir: dir },
        accounts: {
          APP: {
            jetstream: "enabled",
            users: [{ nkey: user.getPublicKey() }, { user: "t", password: "tpw" }],
          },
          WITHOUT_JETSTREAM: { users: [{ user: "nojs", password: "nojspw" }] },
        },
      };
      fs.writeFileSync(path.join(dir, "server.json"), JSON.stringify(config));
      server = spawn(tool("nats-server"), ["-c", path.join(dir, "server.json")], { stdio: "ignore" });
      await eventually("the auth server", async () =>
        (await healthProblem("http://127.0.0.1:10722")) ? undefined : true,
      );
    });

    afterAll(async () => {
      // A server that is still shutting down writes to its store: remove it only once it exited.
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolve) => server.once("exit", resolve));
        server.kill();
        const forced = setTimeout(() => server.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(forced);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const streamWith = (connection: ConnectionSpec, name: string): StreamInputs => ({
      name,
      subjects: [`${name}.>`],
      connection,
    });

    it("create streams with an NKey seed", async () => {
      const result = await create(
        streamWith({ servers: ["nats://127.0.0.1:10622"], nkeySeed: seed }, "bynkey"),
      );
      expect(result.id).toBe("bynkey");
    });

    it("refuse a wrong password at once, without retrying, and without echoing it", async () => {
      const started = Date.now();
      const attempt = create(
        streamWith({ servers: ["nats://127.0.0.1:10622"], user: "t", password: "wrong-password" }, "bypw"),
      );
      await expect(attempt).rejects.toThrow(/Authorization Violation/i);
      await expect(attempt).rejects.not.toThrow(/wrong-password/);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it("refuse an account without JetStream at once, saying so", async () => {
      const started = Date.now();
      const attempt = create(
        streamWith({ servers: ["nats://127.0.0.1:10622"], user: "nojs", password: "nojspw" }, "nojs"),
      );
      await expect(attempt).rejects.toThrow(/err_code 10039.*\n {2}hint: .*account without JetStream/s);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });
});

describe("JetStream on a super-cluster in trouble", () => {
  const harness = new SuperClusterHarness({ client: 11222, cluster: 11322, gateway: 11422, monitor: 11522 });
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  // A reload that changes the accounts' links leaves the JetStream API without responders for a
  // moment; another virtual stream's links being applied must not fail this stream's create.
  it("creates streams while account links reload on every server", async () => {
    const servers = harness.runningServers();
    let churning = true;
    let reloads = 0;
    const churn = (async () => {
      for (let round = 0; churning; round++) {
        const links = { exports: [{ service: `churn.${round % 2}.>`, accounts: ["APP-west"] }], imports: {} };
        await accountLinksProvider.create({
          owner: "churn",
          binary: tool("nats-server"),
          servers,
          links,
        });
        reloads++;
      }
    })();
    // Both counts, not a race between them: under load one create may outlast many reloads.
    let started = 0;
    let created = 0;
    const creator = async () => {
      while (reloads < 15 || created < 16) {
        const name = `during-reload-${started++}`;
        await create({
          name,
          subjects: [`reload.${name}.>`],
          numReplicas: 1,
          connection: harness.connection("west"),
        });
        created++;
      }
    };
    try {
      await Promise.all(Array.from({ length: 8 }, creator));
    } finally {
      churning = false;
      await churn;
    }
    expect(created).toBeGreaterThanOrEqual(16);
    expect(reloads).toBeGreaterThanOrEqual(15);
  });

  // Servers count for placement only once the meta leader has their statistics, sent every 10 s at
  // most: a stream created just after servers start, or across a slow link, may meet err_code 10005.
  it("retries a placement no server matches for a bounded time, then names the placement fields", async () => {
    const started = Date.now();
    const failure = await create({
      name: "unplaceable",
      subjects: ["unplaceable.>"],
      numReplicas: 1,
      placement: { cluster: "east", tags: ["region:nowhere"] },
      connection: harness.connection("east"),
    }).catch((e: Error) => e);
    const elapsed = Date.now() - started;
    expect((failure as Error).message).toMatch(/^stream "unplaceable": .*err_code 10005/);
    expect((failure as Error).message).toMatch(/hint: no servers match the placement.*placement\.tags/s);
    // 15.5 s of backoff between 6 attempts that each fail at once.
    expect(elapsed).toBeGreaterThan(15_000);
    expect(elapsed).toBeLessThan(40_000);
  });

  it("retries for a bounded time, explains the quorum rule, and works once regions are back", async () => {
    const stopped = await harness.stopClusters("west", "central");
    const inputs: StreamInputs = {
      name: "during-outage",
      subjects: ["outage.>"],
      numReplicas: 3,
      placement: { cluster: "east" },
      connection: { ...harness.connection("east"), requestTimeoutMs: 2000 },
    };
    const started = Date.now();
    const failure = await create(inputs).catch((e: Error) => e);
    const elapsed = Date.now() - started;
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^stream "during-outage": /);
    expect((failure as Error).message).toMatch(/hint: JetStream has no meta leader.*majority/s);
    // 6 attempts of at most 2 s each, with 15.5 s of backoff between them.
    expect(elapsed).toBeGreaterThan(15_000);
    expect(elapsed).toBeLessThan(60_000);

    await harness.startServers(stopped);
    const created = await eventually("a stream once the quorum is back", () => create(inputs), 90_000);
    expect(created.id).toBe("during-outage");
  });
});
