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

  it("never shows a secret, and names a value the update computes", () => {
    const steps = [
      stream(
        "update",
        { name: "s", connection: SECRET, maxMsgs: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" },
        { name: "s", connection: { ...SECRET, ciphertext: "other" }, maxMsgs: 10 },
      ),
    ];
    const summary = previewSummary("prod", steps);
    expect(summary).toContain("connection: (secret) changed<br>maxMsgs: 10 → (known after the update)");
    expect(summary).not.toContain("[secret]");
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
