import { DEFAULT_PROGRESS_RULES, isStuck, SourceSample } from "../../components/model/sourceProgress";

const rules = DEFAULT_PROGRESS_RULES;
/** Samples a second apart, from 0 ms; each the same unless given. */
const samples = (...changes: Partial<SourceSample>[]): SourceSample[] =>
  changes.map((change, i) => ({
    at: i * 1000,
    stored: 10,
    originLed: true,
    originLastSeq: 12,
    originLastAt: 0,
    stalledOnFlowControl: false,
    ...change,
  }));
const still = (n: number, change: Partial<SourceSample> = {}) => samples(...Array(n).fill(change));

describe("whether a source is stuck", () => {
  it("is, when its origin holds messages it has not stored for the grace and it stood still as long", () => {
    expect(isStuck(still(4), rules)).toBe(true);
  });

  it("is not, within the grace: a message takes a moment to arrive", () => {
    expect(isStuck(still(3), rules)).toBe(false);
    expect(isStuck(still(4, { originLastAt: 2000 }), rules)).toBe(false);
  });

  it("is not while it moves, even behind its origin (a backlog)", () => {
    expect(isStuck(samples({ stored: 5 }, { stored: 6 }, { stored: 7 }, { stored: 8 }), rules)).toBe(false);
  });

  it("is not when it holds all its origin has, or its origin has no leader to serve it", () => {
    expect(isStuck(still(5, { stored: 12 }), rules)).toBe(false);
    expect(isStuck(still(5, { originLed: false }), rules)).toBe(false);
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
