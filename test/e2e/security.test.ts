import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import * as fs from "fs";
import * as path from "path";
import { connectionAuth } from "../../components/jetstream/clientAuth";
import { eventually } from "../support/monitor";
import { killAll, natsServerPids } from "../support/processes";
import { TestStack } from "../support/stackRunner";
import { seedTopology } from "../support/topologies";

jest.setTimeout(900_000);

const REGIONS = ["west", "central", "east"];
const BASE = {
  ...seedTopology({ client: 25222, cluster: 25322, gateway: 25422, monitor: 25522 }),
  virtualStreams: [
    { name: "foo", consistency: "eventual" },
    { name: "bar", consistency: "ordered" },
  ],
  applications: [
    { name: "orders", virtualStreams: ["foo"] },
    { name: "audit", virtualStreams: ["bar"] },
  ],
};

type Users = Record<string, Record<string, string>>;
interface Cluster {
  clientUrls: string[];
  monitorUrls: string[];
}

/**
 * Operator mode through the real Pulumi CLI: users per application and region, with the server's
 * own refusals for everything outside their permissions; revocation; mapping changes pushed as
 * account JWTs, with no server restarted and no file written.
 */
describe("operator mode: per-region users, revocation and mappings as account JWTs", () => {
  const stack = new TestStack("e2e-security", BASE);
  const connections: NatsConnection[] = [];
  let users: Users;
  let clusters: Record<string, Cluster>;

  const userConnection = async (app: string, region: string, cluster = region, reconnect = true) => {
    const nc = await connect({
      servers: clusters[cluster].clientUrls,
      reconnect,
      ...connectionAuth({ creds: users[app][region] }),
    });
    connections.push(nc);
    return nc;
  };

  /** Publishes and returns the server's refusal of it, as the client's connection reports it. */
  const refusal = async (nc: NatsConnection, subject: string): Promise<string> => {
    const errors: string[] = [];
    const watching = (async () => {
      for await (const status of nc.status()) {
        if (status.type === "error") errors.push(String((status as { error: unknown }).error));
      }
    })();
    nc.publish(subject, "denied?");
    await nc.flush();
    const found = await eventually(`the server's refusal of ${subject}`, async () => errors[0]);
    void watching;
    return found;
  };

  beforeAll(async () => {
    const up = await stack.run("up", 300_000);
    expect({ code: up.code, output: up.code === 0 ? "" : up.output }).toEqual({ code: 0, output: "" });
    const outputs = stack.outputs(true);
    users = outputs.users as Users;
    clusters = outputs.clusters as Record<string, Cluster>;
  });

  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    await stack.remove();
    killAll(natsServerPids(stack.dataDir));
  });

  it("gives each application a user per region, whose creds let it publish and consume there", async () => {
    expect(Object.keys(users.orders).sort()).toEqual([...REGIONS].sort());
    for (const region of REGIONS) {
      const nc = await userConnection("orders", region);
      const ack = await jetstream(nc).publish("foo.order", `from ${region}`, { msgID: `order-${region}` });
      expect(ack.stream).toBe(`foo-write-${region}`);
      // By the read stream's real name: nats.js puts the stream name in the request body too, which
      // the server compares with the mapped subject's (err 10056); the nats CLI may use "foo".
      const consumer = await jetstream(nc).consumers.get(`foo-read-${region}`);
      const message = await eventually(`a message in ${region}'s read stream`, () =>
        consumer.next({ expires: 2000 }).then((m) => m ?? undefined),
      );
      expect(message.subject).toBe("foo.order");
    }
  });

  it("refuses, in the server's own words, what a region's user was not given", async () => {
    const west = await userConnection("orders", "west");
    // Another application's virtual stream: refused as the subject it maps to in west.
    expect(await refusal(west, "bar.x")).toMatch(/Permissions Violation for Publish to "bar\.west\.x"/);
    // Deleting or purging a stream: the API subjects are not the user's.
    const westJsm = await jetstreamManager(await userConnection("orders", "west"), { checkAPI: false });
    await expect(westJsm.streams.delete("foo-read-west")).rejects.toThrow(/permissions violation/i);
    await expect(westJsm.streams.purge("foo-read-west")).rejects.toThrow(/permissions violation/i);
    // West's user in east's cluster: east maps the publish to east's write stream, which is not west's.
    const inEast = await userConnection("orders", "west", "east");
    expect(await refusal(inEast, "foo.x")).toMatch(/Permissions Violation for Publish to "foo\.east\.x"/);
  });

  it("keeps a region's writes in its own write stream, even on another region's raw subject", async () => {
    const west = await userConnection("orders", "west");
    const ack = await jetstream(west).publish("foo.east.x", "raw?", { msgID: "raw-east" });
    // West's cluster maps all of foo.> into west's write stream: east's is out of reach.
    expect(ack.stream).toBe("foo-write-west");
  });

  it("refuses a removed application's user on every server within seconds, live connections too", async () => {
    // Without reconnecting: the server closing it is what is measured.
    const live = await userConnection("audit", "central", "central", false);
    const closed = live.closed();
    const audit = users.audit;
    const removal = new TestStack("e2e-security", {
      ...BASE,
      applications: BASE.applications.filter((a) => a.name !== "audit"),
    });
    const started = Date.now();
    const up = await removal.run("up", 300_000);
    const upMs = Date.now() - started;
    expect({ code: up.code, output: up.code === 0 ? "" : up.output }).toEqual({ code: 0, output: "" });
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    await eventually("the live connection closed by the server", async () => (isClosed ? true : undefined));
    const servers = Object.values(clusters).flatMap((c) => c.clientUrls);
    for (const server of servers) {
      const refused = await connect({
        servers: server,
        reconnect: false,
        ...connectionAuth({ creds: audit.west }),
      }).then(
        (nc) => nc.close().then(() => "connected"),
        (e: Error) => e.message,
      );
      expect({ server, refused }).toEqual({
        server,
        refused: expect.stringMatching(/authorization|revoked/i),
      });
    }
    console.log(
      `audit's users refused on all ${servers.length} servers ${Date.now() - started} ms after up began ` +
        `(up itself, refresh included, took ${upMs} ms)`,
    );
  });

  it("changes mappings on every server by a pushed account JWT: no restart, no file", async () => {
    const pidsBefore = natsServerPids(stack.dataDir).sort();
    const grown = new TestStack("e2e-security", {
      ...BASE,
      applications: [BASE.applications[0]],
      virtualStreams: [...BASE.virtualStreams, { name: "baz", consistency: "eventual" }],
    });
    const started = Date.now();
    const up = await grown.run("up", 300_000);
    const upMs = Date.now() - started;
    expect({ code: up.code, output: up.code === 0 ? "" : up.output }).toEqual({ code: 0, output: "" });
    const admin = stack.outputs(true).credentials as { creds: string };
    for (const region of REGIONS) {
      const nc = await connect({ servers: clusters[region].clientUrls, ...connectionAuth(admin) });
      connections.push(nc);
      const ack = await jetstream(nc).publish("baz.x", region, { msgID: `baz-${region}` });
      expect(ack.stream).toBe(`baz-write-${region}`);
    }
    console.log(
      `baz's mappings served in every region ${Date.now() - started} ms after up began ` +
        `(up itself, with baz's six streams, took ${upMs} ms)`,
    );
    expect(natsServerPids(stack.dataDir).sort()).toEqual(pidsBefore);
    const mappingFiles = fs
      .readdirSync(stack.dataDir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.split(path.sep).includes("mappings"));
    expect(mappingFiles).toEqual([]);
  });
});
