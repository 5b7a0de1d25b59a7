import { DEFAULT_PROGRESS_RULES, isStuck, SourceSample } from "../../components/model/sourceProgress";

const rules = DEFAULT_PROGRESS_RULES;
/** Samples a second apart, from 0 ms; each the same unless given. */
const samples = (...changes: Partial<SourceSample>[]): SourceSample[] =>
  changes.map((change, i) => ({
    at: i * 1000,
    stored: 10,
    takesAll: true,
    originLed: true,
    originLastSeq: 12,
    stalledOnFlowControl: false,
    ...change,
  }));
const still = (n: number, change: Partial<SourceSample> = {}) => samples(...Array(n).fill(change));

describe("whether a source is stuck", () => {
  it("is, when its origin held messages it had not stored a grace ago and it stood still since", () => {
    expect(isStuck(still(4), rules)).toBe(true);
  });

  it("is under steady load too, where the origin's newest message is always fresh", () => {
    const load = samples(...[12, 32, 52, 72].map((originLastSeq) => ({ originLastSeq })));
    expect(isStuck(load, rules)).toBe(true);
  });

  it("is not within the grace: a message takes a moment to arrive", () => {
    expect(isStuck(still(3), rules)).toBe(false);
    const justArrived = samples({ originLastSeq: 10 }, { originLastSeq: 10 }, { originLastSeq: 11 }, {});
    expect(isStuck(justArrived, rules)).toBe(false);
  });

  it("is not while it moves, even behind its origin (a backlog)", () => {
    expect(isStuck(samples({ stored: 5 }, { stored: 6 }, { stored: 7 }, { stored: 8 }), rules)).toBe(false);
  });

  it("is not when it holds all its origin has, or its origin has no leader to serve it", () => {
    expect(isStuck(still(5, { stored: 12 }), rules)).toBe(false);
    expect(isStuck(still(5, { originLed: false }), rules)).toBe(false);
  });

  it("is judged at once when its origin, out of reach a while, has a leader again", () => {
    const back = samples(...Array(4).fill({ originLed: false }), {});
    expect(isStuck(back, rules)).toBe(true);
  });

  it("is not judged by position when it takes part of its origin, only by nats-server's verdict", () => {
    expect(isStuck(still(5, { takesAll: false }), rules)).toBe(false);
    expect(isStuck(still(1, { takesAll: false, stalledOnFlowControl: true }), rules)).toBe(true);
  });

  it("is at once when nats-server says it stalled on flow control", () => {
    expect(isStuck(still(1, { stalledOnFlowControl: true }), rules)).toBe(true);
    expect(isStuck(still(1, { stalledOnFlowControl: true, originLed: false }), rules)).toBe(false);
  });

  it("is a few times per origin position: a duplicate the stream dropped leaves it behind without being stuck", () => {
    const remedied = (count: number) => ({ originLastSeq: 12, count });
    expect(isStuck(still(5), rules, remedied(rules.remediesPerPosition - 1))).toBe(true);
    expect(isStuck(still(5), rules, remedied(rules.remediesPerPosition))).toBe(false);
    expect(
      isStuck(still(5, { stalledOnFlowControl: true }), rules, remedied(rules.remediesPerPosition)),
    ).toBe(false);
    expect(isStuck(still(5, { originLastSeq: 13 }), rules, remedied(rules.remediesPerPosition))).toBe(true);
  });

  it("is not judged without samples", () => {
    expect(isStuck([], rules)).toBe(false);
  });
});
