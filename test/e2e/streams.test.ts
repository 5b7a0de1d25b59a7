import { jetstream, jetstreamManager, JetStreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import * as fs from "fs";
import * as path from "path";
import { allServers } from "../../components/model/plan";
import { StreamSpec } from "../../components/model/streamSpec";
import { eventually } from "../support/monitor";
import { ProgramStack } from "../support/programStack";
import { SuperClusterHarness, TEST_AUTH } from "../support/superClusterHarness";
import { seedReadJson, seedStreamSpecs, seedWriteJson, SEED_REGIONS } from "../support/seedStreams";
import { PROJECT_DIR } from "../support/tools";

jest.setTimeout(600_000);

type ConsumerInput = { stream: string; name: string } & Record<string, unknown>;

describe("Stream and Consumer resources through the real Pulumi CLI", () => {
  const harness = new SuperClusterHarness({ client: 12222, cluster: 12322, gateway: 12422, monitor: 12522 });
  const stack = new ProgramStack("e2e-streams", "jetstreamResources.ts");
  let nc: Awaited<ReturnType<typeof connect>>;
  let jsm: JetStreamManager;
  let streams: StreamSpec[] = [];
  let consumers: ConsumerInput[] = [];

  const input = () => ({ connection: harness.connection("west"), streams, consumers });
  const up = async () => {
    const result = await stack.run("up", input());
    expect({ code: result.code, output: result.code === 0 ? "" : result.output }).toEqual({
      code: 0,
      output: "",
    });
    return result;
  };
  const setStream = (spec: StreamSpec) => (streams = [...streams.filter((s) => s.name !== spec.name), spec]);
  const publish = async (subject: string, count: number) => {
    const js = jetstream(nc);
    // A stream created a moment ago may not have its subjects' interest on every server yet: the
    // publish is retried (a bounded number of times) on "no responders", and deduplicated by id.
    for (let i = 0; i < count; i++) {
      await js.publish(subject, `message ${i}`, { msgID: `${subject}-${i}`, retries: 8 });
    }
  };

  beforeAll(async () => {
    await harness.start();
    nc = await connect({
      servers: harness.clientUrls("west"),
      user: TEST_AUTH.app.user,
      pass: TEST_AUTH.app.password,
    });
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    await stack.run("destroy", input());
    await stack.run("rm", input());
    await nc?.close();
    await harness.stop();
  });

  it("places a stream in each cluster, on that cluster's servers with the requested tags", async () => {
    const clusters = harness.plan.clusters;
    streams = clusters.map((c) => ({
      name: `placed-${c.name}`,
      subjects: [`placed.${c.name}.>`],
      numReplicas: 3,
      placement: { cluster: c.name, tags: c.stretch ? ["stretch"] : [`region:${c.name}`] },
    }));
    const result = await up();
    expect(result.changes).toMatchObject({ create: 5 }); // the stack and 4 streams
    const tagsOf = new Map(allServers(harness.plan).map((s) => [s.name, s.tags]));
    for (const cluster of clusters) {
      const info = await jsm.streams.info(`placed-${cluster.name}`);
      const servers = [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)];
      expect({ cluster: info.cluster?.name, servers: servers.length }).toEqual({
        cluster: cluster.name,
        servers: 3,
      });
      for (const server of servers) {
        expect(server?.startsWith(`${cluster.name}-`)).toBe(true);
        expect(tagsOf.get(server as string)).toEqual(
          expect.arrayContaining(info.config.placement?.tags ?? []),
        );
      }
    }
  });

  it("previews no change right after an up", async () => {
    const preview = await stack.run("preview", input());
    expect(preview.code).toBe(0);
    expect(preview.changes).toEqual({ same: 5 });
  });

  it("updates a limit in place, keeping the messages", async () => {
    await publish("placed.west.a", 5);
    setStream({ ...streams[0], maxMsgs: 1000, maxAge: "1h" });
    const result = await up();
    expect(result.changes).toMatchObject({ update: 1 });
    const info = await jsm.streams.info("placed-west");
    expect({
      maxMsgs: info.config.max_msgs,
      maxAge: info.config.max_age,
      messages: info.state.messages,
    }).toEqual({
      maxMsgs: 1000,
      maxAge: 3600e9,
      messages: 5,
    });
  });

  it("shows a storage change as a replacement in preview, then replaces the stream", async () => {
    setStream({ ...streams.find((s) => s.name === "placed-west")!, storage: "memory" });
    const preview = await stack.run("preview", input());
    expect(preview.changes).toMatchObject({ replace: 1 });
    expect(preview.output).toMatch(/\+-pulumi-nodejs:dynamic\/jetstream:Stream: \(replace\)/);
    expect(preview.output).toMatch(/\+ storage\s*: "memory"/);
    await up();
    const info = await jsm.streams.info("placed-west");
    expect({ storage: info.config.storage, messages: info.state.messages }).toEqual({
      storage: "memory",
      messages: 0,
    });
  });

  it("moves a stream to another cluster in place, keeping its messages", async () => {
    setStream({ name: "mover", subjects: ["mover.>"], numReplicas: 3, placement: { cluster: "west" } });
    await up();
    await publish("mover.x", 7);
    setStream({ name: "mover", subjects: ["mover.>"], numReplicas: 3, placement: { cluster: "central" } });
    const result = await up();
    expect(result.changes).toMatchObject({ update: 1 });
    const info = await eventually("the move to finish", async () => {
      const i = await jsm.streams.info("mover");
      return i.cluster?.name === "central" && (i.cluster.replicas ?? []).length === 2 ? i : undefined;
    });
    expect(info.state.messages).toBe(7);
    expect(
      [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)].every((s) =>
        s?.startsWith("central-"),
      ),
    ).toBe(true);
  });

  it("recreates a stream deleted out of band after refresh and up", async () => {
    await jsm.streams.delete("placed-east");
    const refresh = await stack.run("refresh", input());
    expect(refresh.code).toBe(0);
    expect(refresh.changes).toMatchObject({ delete: 1 });
    const result = await up();
    expect(result.changes).toMatchObject({ create: 1 });
    expect((await jsm.streams.info("placed-east")).config.placement?.cluster).toBe("east");
  });

  it("shows an out-of-band edit as drift on refresh and repairs it on up", async () => {
    const current = (await jsm.streams.info("placed-central")).config;
    await jsm.streams.update("placed-central", { ...current, description: "edited by hand", max_msgs: 3 });
    const refresh = await stack.run("refresh", input());
    expect(refresh.changes).toMatchObject({ update: 1 });
    expect(refresh.output).toMatch(/placed-central updated .*\[diff: [^\]]*description/);
    const preview = await stack.run("preview", input());
    expect(preview.output).toMatch(/- description\s*: "edited by hand"/);
    expect(preview.output).toMatch(/- maxMsgs\s*: 3/);
    await up();
    const repaired = (await jsm.streams.info("placed-central")).config;
    expect({ description: repaired.description, maxMsgs: repaired.max_msgs }).toEqual({
      description: undefined,
      maxMsgs: -1,
    });
  });

  it("refuses to take over an existing stream unless told to adopt it", async () => {
    await jsm.streams.add({ name: "legacy", subjects: ["legacy.>"], max_msgs: 10 });
    await publish("legacy.x", 3);
    setStream({ name: "legacy", subjects: ["legacy.>"], maxMsgs: 100 });
    const refused = await stack.run("up", input());
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(
      /stream "legacy": stream name already in use with a different configuration \(err_code 10058/,
    );
    expect(refused.output).toMatch(/set `adopt: true` to take it over/);
    setStream({ name: "legacy", subjects: ["legacy.>"], maxMsgs: 100, adopt: true } as StreamSpec);
    await up();
    const info = await jsm.streams.info("legacy");
    expect({ maxMsgs: info.config.max_msgs, messages: info.state.messages }).toEqual({
      maxMsgs: 100,
      messages: 3,
    });
  });

  it("names the other stream when subjects overlap", async () => {
    const overlapping = [...streams, { name: "overlap", subjects: ["legacy.x"] }];
    const result = await stack.run("up", { ...input(), streams: overlapping });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      /stream "overlap": subjects overlap with an existing stream \(err_code 10065/,
    );
    expect(result.output).toMatch(/overlap with "legacy"/);
    await expect(jsm.streams.info("overlap")).rejects.toThrow(/stream not found/);
  });

  it("refuses bad input at preview, naming the field, before any server call", async () => {
    const bad = [
      ...streams,
      {
        name: "bad",
        sources: [
          {
            name: "legacy",
            filterSubject: "legacy.>",
            subjectTransforms: [{ src: "legacy.>", dest: "x.>" }],
          },
        ],
      },
    ];
    const preview = await stack.run("preview", { ...input(), streams: bad });
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(
      /sources\[0\]\.subjectTransforms.*cannot have both filterSubject and subjectTransforms/,
    );
  });

  it("takes a consumer through create, in-place update, replacement, out-of-band delete and removal", async () => {
    consumers = [{ stream: "legacy", name: "worker", ackPolicy: "explicit", ackWait: "30s", maxDeliver: 5 }];
    expect((await up()).changes).toMatchObject({ create: 1 });
    expect((await stack.run("preview", input())).changes).not.toHaveProperty("update");

    consumers = [{ ...consumers[0], ackWait: "1m", filterSubject: "legacy.x" }];
    expect((await up()).changes).toMatchObject({ update: 1 });
    let info = await jsm.consumers.info("legacy", "worker");
    expect({ ackWait: info.config.ack_wait, filter: info.config.filter_subject }).toEqual({
      ackWait: 60e9,
      filter: "legacy.x",
    });

    consumers = [{ ...consumers[0], deliverPolicy: "new" }];
    const preview = await stack.run("preview", input());
    expect(preview.changes).toMatchObject({ replace: 1 });
    expect((await up()).changes).toMatchObject({ replace: 1 });
    info = await jsm.consumers.info("legacy", "worker");
    expect(info.config.deliver_policy).toBe("new");

    await jsm.consumers.delete("legacy", "worker");
    expect((await stack.run("refresh", input())).changes).toMatchObject({ delete: 1 });
    expect((await up()).changes).toMatchObject({ create: 1 });

    consumers = [];
    expect((await up()).changes).toMatchObject({ delete: 1 });
    await expect(jsm.consumers.info("legacy", "worker")).rejects.toThrow(/consumer not found/);
  });

  it("declares the seed's six streams exactly as the seed's JSON files describe them", async () => {
    streams = [...streams, ...seedStreamSpecs()];
    await up();
    for (const region of SEED_REGIONS) {
      for (const expected of [seedWriteJson(region), seedReadJson(region)]) {
        const actual = (await jsm.streams.info(expected.name as string)).config as unknown as Record<
          string,
          unknown
        >;
        for (const [key, value] of Object.entries(expected)) {
          expect({ stream: expected.name, key, value: actual[key] }).toEqual({
            stream: expected.name,
            key,
            value,
          });
        }
      }
    }
  });

  it("keeps the connection password out of state and preview output", async () => {
    const preview = await stack.run("preview", input());
    expect(preview.output).not.toContain(TEST_AUTH.app.password);
    const stateDir = path.join(PROJECT_DIR, ".pulumi-state", "backend");
    const files = fs
      .readdirSync(stateDir, { recursive: true, encoding: "utf8" })
      .map((f) => path.join(stateDir, f));
    const leaking = files.filter(
      (f) => fs.statSync(f).isFile() && fs.readFileSync(f).includes(TEST_AUTH.app.password),
    );
    expect(leaking).toEqual([]);
  });

  it("leaves nothing behind on destroy", async () => {
    await jsm.streams.delete("legacy").catch(() => undefined);
    streams = streams.filter((s) => s.name !== "legacy");
    await up();
    const result = await stack.run("destroy", input());
    expect(result.code).toBe(0);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) names.push(name);
    expect(names).toEqual([]);
  });
});
