import * as pulumi from "@pulumi/pulumi";
import { SuperCluster } from "../../components/superCluster";
import { VirtualStream } from "../../components/virtualStream";
import { recordingMocks, unwrapSecret } from "../support/mocks";
import { seedTopology } from "../support/topologies";

const mocks = recordingMocks({ result: "pw", linkedServers: [], pid: 4242 });

const superCluster = () =>
  new SuperCluster("nats", {
    ...seedTopology(),
    local: { dataDir: "/tmp/vs-unit", natsServerBinary: "/bin/true" },
  });

describe("VirtualStream", () => {
  it("is a nats-global:index:VirtualStream whose Streams and account links are named after it", async () => {
    const vs = new VirtualStream("foo", { superCluster: superCluster() });
    await new Promise((resolve) => vs.appConfig.apply(resolve));
    expect(mocks.registered.find((r) => r.name === "foo")?.type).toBe("nats-global:index:VirtualStream");
    const children = mocks.registered
      .filter((r) => r.name.startsWith("foo-"))
      .map((r) => `${r.type} ${r.name}`);
    expect(children).toEqual(
      expect.arrayContaining([
        "pulumi-nodejs:dynamic/jetstream:Stream foo-write-west",
        "pulumi-nodejs:dynamic/jetstream:Stream foo-read-east",
        "pulumi-nodejs:dynamic/local:AccountLinks foo-links",
        "pulumi-nodejs:dynamic/jetstream:SourceResume foo-sources",
      ]),
    );
    expect(children).toHaveLength(8);
  });

  it("resumes the sources of each region's stream foo whenever a server restarts", async () => {
    const vs = new VirtualStream("foo", { superCluster: superCluster() });
    await new Promise((resolve) => vs.appConfig.apply(resolve));
    const resume = mocks.registered.find((r) => r.name === "foo-sources");
    const streams = unwrapSecret(resume?.inputs.streams) as { name: string; account: string }[];
    expect(streams.map((s) => `${s.account}/${s.name}`)).toEqual([
      "APP-west/foo",
      "APP-central/foo",
      "APP-east/foo",
    ]);
    // One per server of the super-cluster: a restart of any of them changes it.
    expect(resume?.inputs.incarnations).toHaveLength(12);
    expect(resume?.inputs.incarnations).toContain("stretch-2:4242");
  });

  it("gives the account links to every local server as one owner's file", async () => {
    const vs = new VirtualStream("orders", { name: "ord", superCluster: superCluster() });
    await new Promise((resolve) => vs.appConfig.apply(resolve));
    const links = mocks.registered.find((r) => r.type.endsWith(":AccountLinks"));
    expect(links?.inputs.owner).toBe("ord");
    expect((links?.inputs.links as { exports: object[] }).exports).toContainEqual({
      service: "$JS.API.CONSUMER.CREATE.ord-write-west.>",
      accounts: ["APP-west", "APP-central", "APP-east"],
    });
  });

  it("refuses, before creating anything, a virtual stream whose subjects overlap another's in the account", () => {
    const sc = superCluster();
    new VirtualStream("foo", { superCluster: sc });
    const before = mocks.registered.length;
    expect(() => new VirtualStream("bar", { superCluster: sc, subjects: ["foo.orders.>"] })).toThrow(
      /subjects: virtual stream "bar"'s "foo.orders.>" overlaps virtual stream "foo"'s "foo.>"/,
    );
    expect(
      mocks.registered.slice(before).filter((r) => r.type !== "nats-global:index:VirtualStream"),
    ).toEqual([]);
  });

  it("refuses a virtual stream whose subjects clash with what another's write streams store", () => {
    const sc = superCluster();
    // eventual x.a is stored as x.west.a in west's write stream.
    new VirtualStream("x", { superCluster: sc, subjects: ["x.a"] });
    expect(
      () => new VirtualStream("y", { superCluster: sc, subjects: ["x.west.a"], consistency: "immediate" }),
    ).toThrow(/virtual stream "y"'s "x.west.a" overlaps virtual stream "x"'s "x.west.a"/);
  });

  it("refuses a plain stream of the same program that overlaps a virtual stream", () => {
    const sc = superCluster();
    new VirtualStream("foo", { superCluster: sc });
    expect(() => sc.stream("audit", "west", { subjects: ["foo.audit"] })).toThrow(
      /overlaps virtual stream "foo"/,
    );
  });

  it("reports bad input as a RunError naming the field", () => {
    expect(() => new VirtualStream("foo", { superCluster: superCluster(), outageWindow: "0s" })).toThrow(
      pulumi.RunError,
    );
    expect(
      () => new VirtualStream("foo", { superCluster: superCluster(), retention: "interest" as never }),
    ).toThrow(/retention: must be "limits"/);
  });
});
