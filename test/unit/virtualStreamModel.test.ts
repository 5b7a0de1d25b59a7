import { planSuperCluster } from "../../components/model/plan";
import { subjectsOverlap, withRegionToken, destinationOf } from "../../components/model/subjects";
import { streamProblems } from "../../components/model/streamValidation";
import { InvalidSpecError } from "../../components/model/validation";
import { Consistency, planVirtualStream, VirtualStreamSpec } from "../../components/model/virtualStream";
import { seedTopology } from "../support/topologies";

const seed = planSuperCluster(seedTopology());
const noStretch = planSuperCluster({ regions: [{ name: "a" }, { name: "b" }] });
const plan = (spec: Partial<VirtualStreamSpec>) => planVirtualStream({ name: "foo", ...spec }, seed);
const names = (spec: Partial<VirtualStreamSpec>) => plan(spec).streams.map((s) => s.name);

describe("subjects", () => {
  it.each([
    ["foo.>", "foo.bar", true],
    ["foo.*", "foo.bar.baz", false],
    ["foo.*.baz", "foo.bar.*", true],
    ["foo.>", "bar.>", false],
    ["foo", "foo.>", false],
    ["foo.bar", "foo.bar", true],
  ])("%s and %s overlap: %s", (a, b, expected) => {
    expect(subjectsOverlap(a, b)).toBe(expected);
    expect(subjectsOverlap(b, a)).toBe(expected);
  });

  it("inserts the region token after the first token and numbers wildcards for destinations", () => {
    expect(withRegionToken("orders.*.created", "west")).toBe("orders.west.*.created");
    expect(destinationOf("orders.west.*.created.>")).toBe("orders.west.{{wildcard(1)}}.created.>");
  });
});

describe("planVirtualStream", () => {
  it("plans the seed's write and read streams for eventual consistency", () => {
    const p = plan({});
    expect(names({})).toEqual([
      "foo-write-west",
      "foo-write-central",
      "foo-write-east",
      "foo-read-west",
      "foo-read-central",
      "foo-read-east",
    ]);
    expect(p.streams[0]).toMatchObject({
      subjects: ["foo.west.>"],
      maxAge: "1h",
      numReplicas: 3,
      placement: { cluster: "west", tags: ["region:west"] },
    });
    expect(p.streams[4]).toMatchObject({
      placement: { cluster: "central", tags: ["region:central"] },
      sources: [
        { name: "foo-write-central", subjectTransforms: [{ src: "foo.central.>", dest: "foo.>" }] },
        { name: "foo-write-west", subjectTransforms: [{ src: "foo.west.>", dest: "foo.>" }] },
        { name: "foo-write-east", subjectTransforms: [{ src: "foo.east.>", dest: "foo.>" }] },
      ],
    });
    for (const stream of p.streams) expect(streamProblems(stream)).toEqual([]);
  });

  it("places every stream by cluster and tags in every mode", () => {
    for (const consistency of ["eventual", "ordered", "immediate", "home"] as const) {
      for (const stream of plan({ consistency, homeRegion: consistency === "home" ? "east" : undefined })
        .streams) {
        expect(stream.placement?.cluster).toBeDefined();
        expect(stream.placement?.tags?.length).toBe(1);
      }
    }
  });

  it("orders through a stream on the stretch cluster that the regions mirror", () => {
    const p = plan({ consistency: "ordered" });
    expect(names({ consistency: "ordered" })).toContain("foo-order");
    const order = p.streams.find((s) => s.name === "foo-order");
    expect(order?.placement).toEqual({ cluster: "stretch", tags: ["stretch"] });
    expect(order?.sources?.map((s) => s.name)).toEqual([
      "foo-write-west",
      "foo-write-central",
      "foo-write-east",
    ]);
    expect(p.streams.find((s) => s.name === "foo-read-east")?.mirror).toEqual({ name: "foo-order" });
  });

  it("writes immediate streams to one stretched stream, read through regional mirrors", () => {
    const p = plan({ consistency: "immediate" });
    expect(names({ consistency: "immediate" })).toEqual([
      "foo-global",
      "foo-read-west",
      "foo-read-central",
      "foo-read-east",
    ]);
    expect(p.streams[0]).toMatchObject({ subjects: ["foo.>"], placement: { cluster: "stretch" } });
    expect(p.mappings["foo.>"]).toBeUndefined();
    expect(p.access[0]).toMatchObject({ writeStream: "foo-global", readStream: "foo-read-west" });
    expect(names({ consistency: "immediate", mirrors: false })).toEqual(["foo-global"]);
  });

  it("writes home streams to the home region, read locally there and through mirrors elsewhere", () => {
    const p = plan({ consistency: "home", homeRegion: "central" });
    expect(p.streams.map((s) => s.name)).toEqual(["foo-home", "foo-read-west", "foo-read-east"]);
    expect(p.access.map((a) => [a.region, a.writeStream, a.readStream])).toEqual([
      ["west", "foo-home", "foo-read-west"],
      ["central", "foo-home", "foo-home"],
      ["east", "foo-home", "foo-read-east"],
    ]);
  });

  it("maps publishes and every stream-naming JetStream API subject, per regional cluster", () => {
    const { mappings } = plan({});
    const expected = [
      "foo.>",
      "$JS.API.STREAM.INFO.foo",
      "$JS.API.STREAM.MSG.GET.foo",
      "$JS.API.STREAM.MSG.DELETE.foo",
      "$JS.API.DIRECT.GET.foo",
      "$JS.API.DIRECT.GET.foo.>",
      "$JS.API.CONSUMER.CREATE.foo",
      "$JS.API.CONSUMER.CREATE.foo.*",
      "$JS.API.CONSUMER.CREATE.foo.*.>",
      "$JS.API.CONSUMER.DURABLE.CREATE.foo.*",
      "$JS.API.CONSUMER.INFO.foo.*",
      "$JS.API.CONSUMER.DELETE.foo.*",
      "$JS.API.CONSUMER.MSG.NEXT.foo.*",
      "$JS.API.CONSUMER.NAMES.foo",
      "$JS.API.CONSUMER.LIST.foo",
      "$JS.ACK.foo.>",
    ];
    expect(Object.keys(mappings)).toEqual(expect.arrayContaining(expected));
    expect(mappings["$JS.API.CONSUMER.CREATE.foo.*.>"]).toContainEqual({
      destination: "$JS.API.CONSUMER.CREATE.foo-read-east.{{wildcard(1)}}.>",
      weight: 100,
      cluster: "east",
    });
    expect(mappings["foo.>"]).toEqual([
      { destination: "foo.west.>", weight: 100, cluster: "west" },
      { destination: "foo.central.>", weight: 100, cluster: "central" },
      { destination: "foo.east.>", weight: 100, cluster: "east" },
    ]);
    for (const destinations of Object.values(mappings)) {
      // nats-server refuses a mapping whose destinations repeat, even for different clusters.
      expect(new Set(destinations.map((d) => d.destination)).size).toBe(destinations.length);
      expect(destinations.map((d) => d.cluster)).toEqual(["west", "central", "east"]);
    }
  });

  it("gives the app config of each region", () => {
    expect(plan({ subjects: ["foo.>", "bar.*"] }).access[1]).toEqual({
      region: "central",
      publishSubjects: ["foo.>", "bar.*"],
      consumeStream: "foo",
      writeStream: "foo-write-central",
      readStream: "foo-read-central",
      mappedPublishSubjects: ["foo.central.>", "bar.central.*"],
    });
  });

  it("says where a region's publishes arrive once mapped: its own write subjects, or the stream's own", () => {
    const mapped = (consistency: Consistency) =>
      plan({ consistency, ...(consistency === "home" ? { homeRegion: "east" } : {}) }).access[0]
        .mappedPublishSubjects;
    expect(mapped("eventual")).toEqual(["foo.west.>"]);
    expect(mapped("ordered")).toEqual(["foo.west.>"]);
    expect(mapped("immediate")).toEqual(["foo.>"]);
    expect(mapped("home")).toEqual(["foo.>"]);
  });

  it("keeps the seed's 2-minute duplicate window on every stream that stores publishes or sources", () => {
    const windows = (spec: Partial<VirtualStreamSpec>) =>
      Object.fromEntries(plan(spec).streams.map((s) => [s.name, s.duplicateWindow]));
    expect(windows({})).toEqual({
      "foo-write-west": "2m",
      "foo-write-central": "2m",
      "foo-write-east": "2m",
      "foo-read-west": "2m",
      "foo-read-central": "2m",
      "foo-read-east": "2m",
    });
    // Mirrors copy their origin's messages: the origin has already dropped the duplicates.
    expect(windows({ consistency: "ordered", duplicateWindow: "5m" })).toMatchObject({
      "foo-write-west": "5m",
      "foo-order": "5m",
      "foo-read-west": undefined,
    });
    expect(windows({ consistency: "immediate" })).toMatchObject({
      "foo-global": "2m",
      "foo-read-east": undefined,
    });
    expect(windows({ consistency: "home", homeRegion: "west" })).toMatchObject({
      "foo-home": "2m",
      "foo-read-east": undefined,
    });
  });

  it("spans only the regions it is given", () => {
    expect(names({ regions: ["west", "east"] })).toEqual([
      "foo-write-west",
      "foo-write-east",
      "foo-read-west",
      "foo-read-east",
    ]);
  });

  it.each<[string, Partial<VirtualStreamSpec>, string, typeof seed?]>([
    ["retention other than limits", { retention: "workqueue" as never }, "retention"],
    ["ordered without a stretch cluster", { consistency: "ordered" }, "consistency", noStretch],
    ["immediate without a stretch cluster", { consistency: "immediate" }, "consistency", noStretch],
    ["an outage window of zero", { outageWindow: "0s" }, "outageWindow"],
    ["home without a home region", { consistency: "home" }, "homeRegion"],
    ["a home region that does not exist", { consistency: "home", homeRegion: "mars" }, "homeRegion"],
    ["a region that does not exist", { regions: ["west", "mars"] }, "regions[1]"],
    ["a subject starting with a wildcard", { subjects: ["*.x"] }, "subjects[0]"],
    ["mirrors outside immediate", { mirrors: false }, "mirrors"],
    ["an unknown consistency", { consistency: "strong" as never }, "consistency"],
    ["a duplicate window of zero", { duplicateWindow: 0 }, "duplicateWindow"],
    ["a duplicate window that is no duration", { duplicateWindow: "2 minutes" }, "duplicateWindow"],
    ["a duplicate window longer than the outage window", { outageWindow: "1m" }, "duplicateWindow"],
    ["a duplicate window longer than maxAge", { duplicateWindow: "10m", maxAge: "5m" }, "duplicateWindow"],
  ])("refuses %s, naming the field", (_, spec, field, superCluster = seed) => {
    let error: unknown;
    try {
      planVirtualStream({ name: "foo", ...spec }, superCluster);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidSpecError);
    expect((error as InvalidSpecError).problems.map((p) => p.field)).toContain(field);
  });
});
