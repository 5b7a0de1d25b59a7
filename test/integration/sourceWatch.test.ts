import { jetstream, jetstreamManager, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { closeAllSessions } from "../../components/jetstream/connection";
import { SourceWatch, watchSources } from "../../components/jetstream/sourceWatch";
import { stepDown } from "../../components/jetstream/leaderStepDown";
import { eventually } from "../support/monitor";
import { SuperClusterHarness, TEST_AUTH } from "../support/superClusterHarness";
import { DEFAULT_PROGRESS_RULES } from "../../components/model/sourceProgress";

jest.setTimeout(240_000);

/** How soon after its origin is back a stuck source must deliver again (issue 17: 15 s after a heal). */
const CONVERGED_WITHIN_MS = 15_000;

/**
 * A source left waiting by nats-server after its origin's region went down and came back (it asks
 * once, waits 30 s for an answer nobody gives, then backs off), mended by the watcher with a leader
 * step-down of the sourcing stream.
 */
describe("the source watcher, on a real super-cluster", () => {
  const harness = new SuperClusterHarness(
    { client: 26222, cluster: 26322, gateway: 26422, monitor: 26522 },
    { regions: [{ name: "west" }, { name: "central" }, { name: "east" }] },
  );
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const messagesIn = async (stream: string) => (await jsm.streams.info(stream)).state.messages;

  beforeAll(async () => {
    await harness.start();
    const east = harness.connection("east");
    nc = await connect({
      servers: east.servers,
      user: east.user,
      pass: east.password,
      maxReconnectAttempts: -1,
    });
    jsm = await jetstreamManager(nc, { checkAPI: false });
    await eventually("the origin created", () =>
      jsm.streams
        .add({
          name: "origin",
          subjects: ["orders.>"],
          num_replicas: 3,
          placement: { cluster: "west", tags: [] },
        })
        .catch(() => undefined),
    );
    await jsm.streams.add({
      name: "copy",
      num_replicas: 3,
      placement: { cluster: "east", tags: [] },
      sources: [{ name: "origin" }],
    });
    await jetstream(nc).publish("orders.1", "before");
    await eventually("the copy to hold the first order", async () =>
      (await messagesIn("copy")) === 1 ? true : undefined,
    );
  });

  afterAll(async () => {
    await nc?.close();
    await closeAllSessions();
    await harness.stop();
  });

  it("steps down the sourcing stream's leader once the origin is back, and the copy catches up", async () => {
    const lines: string[] = [];
    const watch = new SourceWatch(
      {
        accounts: [{ account: "APP", connection: harness.connection("east", TEST_AUTH.watcher) }],
        rules: DEFAULT_PROGRESS_RULES,
      },
      (line) => lines.push(line),
    );
    let stopped = false;
    const watching = watchSources(watch, { intervalMs: 1000, stopped: () => stopped });
    try {
      const west = await harness.stopClusters("west");
      // The copy has lost its source: it asked again, and waits for an answer nobody gives.
      await eventually(
        "the copy's source silent",
        async () => {
          const source = (await jsm.streams.info("copy")).sources?.[0];
          return source !== undefined && source.active > 10_000 ? true : undefined;
        },
        60_000,
      );
      await harness.startServers(west);
      await eventually(
        "the origin led again",
        async () => ((await jsm.streams.info("origin")).cluster?.leader !== undefined ? true : undefined),
        60_000,
      );
      await eventually("a publish to the origin", () =>
        jetstream(nc)
          .publish("orders.2", "after")
          .catch(() => undefined),
      );
      const back = Date.now();
      await eventually(
        "the copy to hold the second order",
        async () => ((await messagesIn("copy")) === 2 ? true : undefined),
        CONVERGED_WITHIN_MS,
      );
      console.log(`a stuck source delivered again ${Date.now() - back} ms after its origin took a message`);
      expect(lines).toContainEqual(
        expect.stringMatching(
          /^APP\/copy: leader asked to step down: no progress on APP\/copy from APP\/origin$/,
        ),
      );
    } finally {
      stopped = true;
      await watching;
    }
  });

  it("lets the watcher's user list streams, read their info and step a leader down, and nothing else", async () => {
    const watcher = harness.connection("east", TEST_AUTH.watcher);
    const own = await connect({ servers: watcher.servers, user: watcher.user, pass: watcher.password });
    try {
      const asWatcher = await jetstreamManager(own, { checkAPI: false });
      const names: string[] = [];
      for await (const info of asWatcher.streams.list()) names.push(info.config.name);
      expect(names.sort()).toEqual(["copy", "origin"]);
      await stepDown({ name: "copy", connection: watcher });
      const refused = async (action: () => Promise<unknown>) =>
        action().then(
          () => "allowed",
          (e: Error) => (/permissions violation|timeout/i.test(e.message) ? "refused" : e.message),
        );
      expect({
        create: await refused(() => asWatcher.streams.add({ name: "other", subjects: ["other.>"] })),
        purge: await refused(() => asWatcher.streams.purge("copy")),
        remove: await refused(() => asWatcher.streams.delete("copy")),
        read: await refused(() => asWatcher.streams.getMessage("copy", { seq: 1 })),
        publish: await refused(() => jetstream(own, { timeout: 2000 }).publish("orders.3", "no")),
      }).toEqual({
        create: "refused",
        purge: "refused",
        remove: "refused",
        read: "refused",
        publish: "refused",
      });
    } finally {
      await own.close();
    }
  });
});
