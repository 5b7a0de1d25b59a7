import { PreviewStep, previewSummary } from "../../components/previewSummary";

const STREAM = "pulumi-nodejs:dynamic/jetstream:Stream";
const urn = (type: string, name: string) => `urn:pulumi:prod::nats-global::${type}::${name}`;
const cluster = (platform: string, name: string): PreviewStep => ({
  op: "same",
  urn: urn(`nats-global:${platform}:Cluster`, name),
  type: `nats-global:${platform}:Cluster`,
});
const stream = (op: string, inputs: Record<string, unknown>, old?: Record<string, unknown>): PreviewStep => ({
  op,
  urn: urn(STREAM, String(inputs.name)),
  type: STREAM,
  new: { type: STREAM, inputs },
  ...(old !== undefined ? { old: { type: STREAM, inputs: old } } : {}),
});
const SECRET = {
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  ciphertext: "[secret]",
};

describe("a preview summary", () => {
  it("flags a new source whose origin runs on another cloud, and one in the same cluster not at all", () => {
    const steps = [
      cluster("aws", "nats-west"),
      cluster("gcp", "nats-east"),
      stream("same", { name: "orders-write-west", placement: { cluster: "west" } }),
      stream("same", { name: "orders-write-east", placement: { cluster: "east" } }),
      stream(
        "update",
        {
          name: "orders-read-east",
          placement: { cluster: "east" },
          sources: [{ name: "orders-write-east" }, { name: "orders-write-west" }],
        },
        {
          name: "orders-read-east",
          placement: { cluster: "east" },
          sources: [{ name: "orders-write-east" }],
        },
      ),
    ];
    const summary = previewSummary("prod", steps);
    expect(summary).toContain(
      "**Data across clouds**: stream `orders-read-east` starts copying `orders-write-west` (west → east)",
    );
    expect(summary).toContain("sources: orders-write-east → orders-write-east, orders-write-west");
    expect(summary).not.toContain("orders-write-east` (");
  });

  it("names each region's stream of a virtual name by its region, as every region's has that name", () => {
    const VIRTUAL = "nats-global:index:VirtualStream";
    const parent = urn(VIRTUAL, "orders");
    const regional = (region: string): PreviewStep => ({
      op: "create",
      urn: urn(STREAM, `orders-read-${region}`),
      type: STREAM,
      new: { type: STREAM, parent, inputs: { name: "orders", placement: { cluster: region } } },
    });
    const summary = previewSummary("prod", [
      { op: "same", urn: parent, type: VIRTUAL },
      regional("west"),
      regional("east"),
    ]);
    expect(summary).toContain("| create | stream `orders` in west |");
    expect(summary).toContain("| create | stream `orders` in east |");
  });

  it("never shows a secret, says an update changed one where nothing else shows, and names computed values", () => {
    // The engine blinds every secret alike: a changed one looks unchanged.
    const blinded = (inputs: Record<string, unknown>, old: Record<string, unknown>) =>
      previewSummary("prod", [
        stream(
          "update",
          { name: "s", connection: SECRET, ...inputs },
          { name: "s", connection: SECRET, ...old },
        ),
      ]);
    const computed = blinded(
      {
        maxMsgs: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        metadata: { a: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" },
      },
      { maxMsgs: 10 },
    );
    expect(computed).toContain(
      'maxMsgs: 10 → (known after the update)<br>metadata: (default) → {"a":(known after the update)}',
    );
    expect(blinded({}, {})).toContain("| update | stream `s` | a secret or the provider's code |");
    for (const summary of [computed, blinded({}, {})]) expect(summary).not.toContain("ciphertext");
  });

  it("tells a replacement by its replace step, with the keys any of its steps gives, and a lone old copy's removal as a delete", () => {
    const inputs = { name: "s", storage: "memory" };
    const old = { name: "s", storage: "file" };
    const summary = previewSummary("prod", [
      { ...stream("create-replacement", inputs, old), keys: ["storage"] },
      stream("replace", inputs, old),
      { ...stream("delete-replaced", inputs, old), new: undefined },
      { ...stream("delete-replaced", { name: "t" }, { name: "t" }), new: undefined },
    ]);
    expect(summary).toContain(
      '| replace | stream `s` | replaced for storage<br>storage: "file" → "memory" |',
    );
    expect(summary).toContain("| delete | stream `t` |");
    expect(summary).toContain("0 to create, 0 to update, 1 to replace, 1 to delete");
  });

  it("warns of a raised or removed limit not at all, and of a lowered one", () => {
    const update = (before: unknown, after: unknown) =>
      previewSummary("prod", [
        stream("update", { name: "s", maxBytes: after }, { name: "s", maxBytes: before }),
      ]);
    expect(update(100, 200)).not.toContain("Messages lost");
    expect(update(100, 0)).not.toContain("Messages lost");
    expect(update(0, 100)).toContain(
      "**Messages lost**: stream `s` keeps less, maxBytes 0 → 100: what exceeds it is removed",
    );
    expect(update(200, 100)).toContain("keeps less, maxBytes 200 → 100");
  });
});
