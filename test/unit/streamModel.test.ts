import { formatDuration, parseDuration } from "../../components/model/durations";
import { canonicalSpec, normalizeWire, toWire } from "../../components/model/streamConfig";
import { streamChanges } from "../../components/model/streamDiff";
import { StreamSpec } from "../../components/model/streamSpec";
import { streamProblems } from "../../components/model/streamValidation";
import { seedReadJson, seedStreamSpecs, seedWriteJson } from "../support/seedStreams";

describe("durations", () => {
  it.each([
    ["1h", 3600e9],
    ["90s", 90e9],
    ["1h30m", 5400e9],
    ["250ms", 250e6],
    ["1.5s", 1500e6],
    ["2d", 172800e9],
    [120000000000, 120e9],
    ["120000000000", 120e9],
  ])("reads %p as %p ns", (text, ns) => expect(parseDuration(text)).toBe(ns));

  it.each(["", "1 hour", "h", "1h-5m", "-1s", -5, 1.5])("refuses %p with a message", (bad) => {
    expect(typeof parseDuration(bad)).toBe("string");
  });

  it.each([
    [0, "0s"],
    [3600e9, "1h"],
    [5400e9, "1h30m"],
    [90e9, "1m30s"],
    [1500e6, "1s500ms"],
  ])("writes %p ns as %p, which reads back the same", (ns, text) => {
    expect(formatDuration(ns)).toBe(text);
    expect(parseDuration(text)).toBe(ns);
  });
});

describe("stream configuration", () => {
  it("sends the seed's JSON for the seed's streams, in every field the JSON sets", () => {
    const specs = seedStreamSpecs();
    const expected = [
      ...["west", "central", "east"].map(seedWriteJson),
      ...["west", "central", "east"].map(seedReadJson),
    ];
    specs.forEach((spec, i) => {
      const wire = toWire(spec);
      const seed = expected[i];
      // Fields the JSON sets to the server's default may be left out: the server fills them in.
      expect(normalizeWire(wire)).toEqual(normalizeWire(seed));
      for (const key of Object.keys(wire))
        expect({ key, value: wire[key] }).toEqual({ key, value: seed[key] });
    });
  });

  it("compares a server's answer equal to the spec it was made from", () => {
    const serverAnswer = {
      ...seedWriteJson("west"),
      metadata: { "_nats.level": "1", "_nats.req.level": "0", "_nats.ver": "2.15.2" },
      consumer_limits: {},
      compression: "none",
      allow_msg_ttl: false,
    };
    expect(normalizeWire(serverAnswer)).toEqual(normalizeWire(toWire(seedStreamSpecs()[0])));
  });

  it("leaves a mirror's mirrorDirect to the server, which derives it from the origin", () => {
    const mirror = { name: "m", mirror: { name: "o" } };
    expect(normalizeWire({ ...toWire(mirror), mirror_direct: true })).toEqual(normalizeWire(toWire(mirror)));
    expect(normalizeWire({ name: "s", mirror_direct: true })).toEqual({ name: "s", mirror_direct: true });
  });

  it("keeps the user's metadata and drops the server's", () => {
    const normal = normalizeWire({ name: "s", metadata: { team: "orders", "_nats.ver": "2.15.2" } });
    expect(normal).toEqual({ name: "s", metadata: { team: "orders" } });
  });

  it("canonicalises durations, domains and defaults, so equal intents compare equal", () => {
    const a = canonicalSpec({
      name: "s",
      subjects: ["s"],
      maxAge: "60m",
      duplicateWindow: "2m",
      numReplicas: 1,
    });
    const b = canonicalSpec({ name: "s", subjects: ["s"], maxAge: 3600e9, storage: "file" });
    expect(a).toEqual(b);
    expect(a).toEqual({ name: "s", subjects: ["s"], maxAge: "1h" });
    expect(canonicalSpec({ name: "s", sources: [{ name: "o", domain: "hub" }] }).sources).toEqual([
      { name: "o", external: { api: "$JS.hub.API" } },
    ]);
  });

  it("takes the server's default duplicate window as the default, which depends on subjects and max age", () => {
    const short = { name: "s", subjects: ["s"], maxAge: "30s" };
    expect(canonicalSpec({ ...short, duplicateWindow: "30s" })).toEqual(short);
    expect(canonicalSpec({ name: "s", subjects: ["s"], duplicateWindow: "2m" })).toEqual({
      name: "s",
      subjects: ["s"],
    });
    // A stream that only sources keeps no window unless given one.
    const sourcing = { name: "s", sources: [{ name: "o" }] };
    expect(canonicalSpec({ ...sourcing, duplicateWindow: "2m" })).toEqual({
      ...sourcing,
      duplicateWindow: "2m",
    });
    expect(normalizeWire({ ...toWire(sourcing), duplicate_window: 0 })).toEqual(
      normalizeWire(toWire(sourcing)),
    );
  });
});

describe("stream changes", () => {
  const base: StreamSpec = { name: "s", subjects: ["s.>"], numReplicas: 3, placement: { cluster: "west" } };
  const changes = (after: Partial<StreamSpec>, before: Partial<StreamSpec> = {}) =>
    streamChanges({ ...base, ...before }, { ...base, ...after });

  it.each<[string, Partial<StreamSpec>, Partial<StreamSpec>]>([
    ["a limit", {}, { maxMsgs: 1000 }],
    ["the replicas", {}, { numReplicas: 1 }],
    ["the placement", {}, { placement: { cluster: "east" } }],
    ["the subjects", {}, { subjects: ["s.>", "t.>"] }],
    ["retention limits to interest", {}, { retention: "interest" }],
    ["sealing", {}, { sealed: true }],
    ["deny delete turned on", {}, { denyDelete: true }],
    ["the mirror removed", { mirror: { name: "o" }, subjects: undefined }, { subjects: undefined }],
    ["sources", {}, { sources: [{ name: "o" }] }],
    ["compression", {}, { compression: "s2" }],
  ])("changes %s in place", (_, before, after) => {
    const result = changes(after, before);
    expect(result.changed.length).toBeGreaterThan(0);
    expect(result.replaces).toEqual([]);
  });

  it.each<[string, Partial<StreamSpec>, Partial<StreamSpec>, string]>([
    ["the storage", {}, { storage: "memory" }, "storage"],
    ["retention to workqueue", {}, { retention: "workqueue" }, "retention"],
    ["retention from workqueue", { retention: "workqueue" }, {}, "retention"],
    ["unsealing", { sealed: true }, {}, "sealed"],
    ["deny delete turned off", { denyDelete: true }, {}, "denyDelete"],
    ["deny purge turned off", { denyPurge: true }, { denyPurge: false }, "denyPurge"],
    ["message TTLs turned off", { allowMsgTtl: true }, {}, "allowMsgTtl"],
    ["a mirror added", { subjects: undefined }, { subjects: undefined, mirror: { name: "o" } }, "mirror"],
    ["a mirror changed", { mirror: { name: "o" } }, { mirror: { name: "p" } }, "mirror"],
    ["the persist mode", {}, { persistMode: "async" }, "persistMode"],
    ["message counters", {}, { allowMsgCounter: true }, "allowMsgCounter"],
    ["the first sequence", {}, { firstSeq: 100 }, "firstSeq"],
  ])("replaces the stream for %s", (_, before, after, field) => {
    expect(changes(after, before).replaces).toEqual([field]);
  });

  it("sees no change between a spec and its canonical form", () => {
    const spec: StreamSpec = { ...base, maxAge: "60m", duplicateWindow: 120e9 };
    expect(streamChanges(spec, canonicalSpec(spec))).toEqual({ changed: [], replaces: [] });
  });
});

describe("stream validation", () => {
  const fields = (spec: StreamSpec) => streamProblems(spec).map((p) => p.field);

  it("accepts the seed's streams", () => {
    for (const spec of seedStreamSpecs()) expect(streamProblems(spec)).toEqual([]);
  });

  it.each<[string, StreamSpec, string]>([
    ["a name with a dot", { name: "a.b" }, "name"],
    ["a bad subject", { name: "s", subjects: ["a..b"] }, "subjects[0]"],
    ["'>' before the last token", { name: "s", subjects: ["a.>.b"] }, "subjects[0]"],
    ["an unknown retention", { name: "s", retention: "forever" as never }, "retention"],
    ["a bad duration", { name: "s", maxAge: "1 hour" }, "maxAge"],
    ["too many replicas", { name: "s", numReplicas: 7 }, "numReplicas"],
    ["a mirror with subjects", { name: "s", subjects: ["s"], mirror: { name: "o" } }, "subjects"],
    ["a mirror with sources", { name: "s", mirror: { name: "o" }, sources: [{ name: "p" }] }, "sources"],
    [
      "a source with a filter and transforms",
      {
        name: "s",
        sources: [{ name: "o", filterSubject: "a.>", subjectTransforms: [{ src: "a.>", dest: "b.>" }] }],
      },
      "sources[0].subjectTransforms",
    ],
    [
      "a source with domain and external",
      { name: "s", sources: [{ name: "o", domain: "d", external: { api: "x" } }] },
      "sources[0].domain",
    ],
    ["a typo in a field name", { name: "s", maxMsg: 5 } as never, "maxMsg"],
    [
      "discard new per subject without discard new",
      { name: "s", discardNewPerSubject: true },
      "discardNewPerSubject",
    ],
    [
      "a delete marker TTL without message TTLs",
      { name: "s", subjectDeleteMarkerTtl: "1m" },
      "subjectDeleteMarkerTtl",
    ],
  ])("refuses %s, naming the field", (_, spec, field) => {
    expect(fields(spec)).toContain(field);
  });
});
