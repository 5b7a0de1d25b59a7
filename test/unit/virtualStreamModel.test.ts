import { planSuperCluster } from "../../components/model/plan";
import { subjectsOverlap, withRegionToken, destinationOf } from "../../components/model/subjects";
import { streamProblems } from "../../components/model/streamValidation";
import { InvalidSpecError } from "../../components/model/validation";
import { Consistency, planVirtualStream, VirtualStreamSpec } from "../../components/model/virtualStream";
import { seedTopology } from "../support/topologies";

const seed = planSuperCluster(seedTopology());
const noStretch = planSuperCluster({ regions: [{ name: "a" }, { name: "b" }] });
const plan = (spec: Partial<VirtualStreamSpec>) => planVirtualStream({ name: "foo", ...spec }, seed);
/** Each stream as `<account>/<name>`. */
const names = (spec: Partial<VirtualStreamSpec>) =>
  plan(spec).streams.map((s) => `${s.account}/${s.spec.name}`);
const specOf = (spec: Partial<VirtualStreamSpec>, account: string, name: string) =>
  plan(spec).streams.find((s) => s.account === account && s.spec.name === name)?.spec;

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
  const fromApp = (region: string) => ({ api: "$JS.APP.API", deliver: `$SRC.foo.${region}` });

  it("plans the seed's write streams, and in each region's account a stream named foo that sources them", () => {
    const p = plan({});
    expect(names({})).toEqual([
      "APP/foo-write-west",
      "APP/foo-write-central",
      "APP/foo-write-east",
      "APP-west/foo",
      "APP-central/foo",
      "APP-east/foo",
    ]);
    expect(p.streams[0].spec).toMatchObject({
      subjects: ["foo.west.>"],
      maxAge: "1h",
      numReplicas: 3,
      placement: { cluster: "west", tags: ["region:west"] },
    });
    expect(p.streams[4].spec).toMatchObject({
      placement: { cluster: "central", tags: ["region:central"] },
      sources: [
        {
          name: "foo-write-central",
          external: fromApp("central"),
          subjectTransforms: [{ src: "foo.central.>", dest: "foo.>" }],
        },
        {
          name: "foo-write-west",
          external: fromApp("central"),
          subjectTransforms: [{ src: "foo.west.>", dest: "foo.>" }],
        },
        {
          name: "foo-write-east",
          external: fromApp("central"),
          subjectTransforms: [{ src: "foo.east.>", dest: "foo.>" }],
        },
      ],
    });
    expect(p.streams[4].spec.subjects).toBeUndefined();
    for (const stream of p.streams) expect(streamProblems(stream.spec)).toEqual([]);
  });

  it("places every stream by cluster and tags in every mode", () => {
    for (const consistency of ["eventual", "ordered", "immediate", "home"] as const) {
      for (const { spec } of plan({ consistency, homeRegion: consistency === "home" ? "east" : undefined })
        .streams) {
        expect(spec.placement?.cluster).toBeDefined();
        expect(spec.placement?.tags?.length).toBe(1);
        expect(streamProblems(spec)).toEqual([]);
      }
    }
  });

  it("orders through a stream on the stretch cluster that every region's foo mirrors across accounts", () => {
    expect(names({ consistency: "ordered" })).toContain("APP/foo-order");
    const order = specOf({ consistency: "ordered" }, "APP", "foo-order");
    expect(order?.placement).toEqual({ cluster: "stretch", tags: ["stretch"] });
    expect(order?.sources?.map((s) => [s.name, s.external])).toEqual([
      ["foo-write-west", undefined],
      ["foo-write-central", undefined],
      ["foo-write-east", undefined],
    ]);
    expect(specOf({ consistency: "ordered" }, "APP-east", "foo")?.mirror).toEqual({
      name: "foo-order",
      external: fromApp("east"),
    });
  });

  it("writes immediate streams to one stretched stream, read through a mirror in each region's account", () => {
    const p = plan({ consistency: "immediate" });
    expect(names({ consistency: "immediate" })).toEqual([
      "APP/foo-global",
      "APP-west/foo",
      "APP-central/foo",
      "APP-east/foo",
    ]);
    expect(p.streams[0].spec).toMatchObject({ subjects: ["foo.>"], placement: { cluster: "stretch" } });
    expect(p.access[0]).toMatchObject({
      account: "APP-west",
      writeStream: "foo-global",
      consumeStream: "foo",
    });
  });

  it("writes home streams to the home region, read through a mirror in every region's account, home too", () => {
    const p = plan({ consistency: "home", homeRegion: "central" });
    expect(names({ consistency: "home", homeRegion: "central" })).toEqual([
      "APP/foo-home",
      "APP-west/foo",
      "APP-central/foo",
      "APP-east/foo",
    ]);
    expect(p.access.map((a) => [a.account, a.writeStream, a.consumeStream])).toEqual([
      ["APP-west", "foo-home", "foo"],
      ["APP-central", "foo-home", "foo"],
      ["APP-east", "foo-home", "foo"],
    ]);
  });

  it("links each region's account to the write side: its origins' consumer create and flow control, its deliveries, its publishes", () => {
    const { links } = plan({ subjects: ["foo.>", "bar.*.x"] });
    expect(links.imports["APP-east"]).toEqual(
      expect.arrayContaining([
        {
          service: { account: "APP", subject: "$JS.API.CONSUMER.CREATE.foo-write-west" },
          to: "$JS.APP.API.CONSUMER.CREATE.foo-write-west",
        },
        {
          service: { account: "APP", subject: "$JS.API.CONSUMER.CREATE.foo-write-west.>" },
          to: "$JS.APP.API.CONSUMER.CREATE.foo-write-west.>",
        },
        { service: { account: "APP", subject: "$JS.FC.foo-write-west.>" } },
        { service: { account: "APP", subject: "$JS.FC.*.*.foo-write-west.>" } },
        { stream: { account: "APP", subject: "$SRC.foo.east.>" } },
        { service: { account: "APP", subject: "foo.east.>" }, to: "foo.>" },
        { service: { account: "APP", subject: "bar.east.*.x" }, to: "bar.*.x" },
      ]),
    );
    // Each region publishes to its own write stream only, and takes its own deliveries only.
    expect(links.exports).toContainEqual({ service: "foo.east.>", accounts: ["APP-east"] });
    expect(links.exports).toContainEqual({ stream: "$SRC.foo.east.>", accounts: ["APP-east"] });
    expect(links.exports).toContainEqual({
      service: "$JS.API.CONSUMER.CREATE.foo-write-west.>",
      accounts: ["APP-west", "APP-central", "APP-east"],
    });
  });

  it("leads publishes to the stream that takes them: the region's write stream, or the stream's own", () => {
    const imported = (consistency: Consistency) =>
      plan({ consistency, ...(consistency === "home" ? { homeRegion: "east" } : {}) }).links.imports[
        "APP-west"
      ].filter((i) => "service" in i && i.to === "foo.>");
    expect(imported("eventual")).toEqual([
      { service: { account: "APP", subject: "foo.west.>" }, to: "foo.>" },
    ]);
    expect(imported("ordered")).toEqual([
      { service: { account: "APP", subject: "foo.west.>" }, to: "foo.>" },
    ]);
    for (const consistency of ["immediate", "home"] as const) {
      expect(
        plan({ consistency, ...(consistency === "home" ? { homeRegion: "east" } : {}) }).links.imports[
          "APP-west"
        ],
      ).toContainEqual({ service: { account: "APP", subject: "foo.>" } });
    }
  });

  it("gives the app config of each region", () => {
    expect(plan({ subjects: ["foo.>", "bar.*"] }).access[1]).toEqual({
      region: "central",
      account: "APP-central",
      publishSubjects: ["foo.>", "bar.*"],
      consumeStream: "foo",
      writeStream: "foo-write-central",
    });
  });

  it("keeps the seed's 2-minute duplicate window on every stream that stores publishes or sources", () => {
    const windows = (spec: Partial<VirtualStreamSpec>) =>
      Object.fromEntries(
        plan(spec).streams.map((s) => [`${s.account}/${s.spec.name}`, s.spec.duplicateWindow]),
      );
    expect(windows({})).toEqual({
      "APP/foo-write-west": "2m",
      "APP/foo-write-central": "2m",
      "APP/foo-write-east": "2m",
      "APP-west/foo": "2m",
      "APP-central/foo": "2m",
      "APP-east/foo": "2m",
    });
    // Mirrors copy their origin's messages: the origin has already dropped the duplicates.
    expect(windows({ consistency: "ordered", duplicateWindow: "5m" })).toMatchObject({
      "APP/foo-write-west": "5m",
      "APP/foo-order": "5m",
      "APP-west/foo": undefined,
    });
    expect(windows({ consistency: "immediate" })).toMatchObject({
      "APP/foo-global": "2m",
      "APP-east/foo": undefined,
    });
    expect(windows({ consistency: "home", homeRegion: "west" })).toMatchObject({
      "APP/foo-home": "2m",
      "APP-east/foo": undefined,
    });
  });

  it("spans only the regions it is given", () => {
    expect(names({ regions: ["west", "east"] })).toEqual([
      "APP/foo-write-west",
      "APP/foo-write-east",
      "APP-west/foo",
      "APP-east/foo",
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
    ["subjects that overlap each other", { subjects: ["foo.a", "foo.*"] }, "subjects[1]"],
    ["mirrors, which every region now has", { mirrors: false } as never, "mirrors"],
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
