import { canonicalConsumer, consumerChanges, consumerUpdate } from "../../components/model/consumerConfig";

describe("consumer configuration", () => {
  it("drops what the server fills in, so a spec and the server's answer compare equal", () => {
    expect(
      canonicalConsumer({ stream: "s", name: "c", ackPolicy: "explicit", ackWait: "30s", maxWaiting: 512 }),
    ).toEqual({
      stream: "s",
      name: "c",
      ackPolicy: "explicit",
    });
  });

  it("sends every managed field on update, so a field removed from the spec is removed on the server", () => {
    const update = consumerUpdate({ stream: "s", name: "c", ackWait: "1m" });
    expect(update).toMatchObject({ name: "c", durable_name: "c", ack_wait: 60e9 });
    expect(Object.keys(update)).toEqual(
      expect.arrayContaining(["filter_subject", "description", "max_deliver"]),
    );
    expect(update.filter_subject).toBeUndefined();
    expect(update).not.toHaveProperty("stream");
  });

  it("replaces a consumer for a new deliver policy or a switch between pull and push, not for a new ack wait", () => {
    const base = { stream: "s", name: "c" };
    expect(consumerChanges(base, { ...base, ackWait: "1m" })).toEqual({ changed: ["ackWait"], replaces: [] });
    expect(consumerChanges(base, { ...base, deliverPolicy: "new" }).replaces).toEqual(["deliverPolicy"]);
    expect(consumerChanges(base, { ...base, deliverSubject: "d" }).replaces).toEqual(["deliverSubject"]);
  });
});
