import {
  DEFAULT_PROGRESS_RULES,
  isStuck,
  movedSince,
  Remedies,
  SourceSample,
} from "../../components/model/sourceProgress";

const rules = DEFAULT_PROGRESS_RULES;
/** Samples a second apart, from 0 ms; each the same unless given. */
const samples = (...changes: Partial<SourceSample>[]): SourceSample[] =>
  changes.map((change, i) => ({
    at: i * 1000,
    stored: 10,
    lag: 2,
    originLed: true,
    originLastSeq: 12,
    originEmpty: false,
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

  it("is not while it is delivered duplicates its stream drops: its lag moves though it stores nothing", () => {
    expect(isStuck(samples({ lag: 40 }, { lag: 30 }, { lag: 20 }, { lag: 10 }), rules)).toBe(false);
  });

  it("is not when it holds all its origin has, or its origin has no leader or no message to serve", () => {
    expect(isStuck(still(5, { stored: 12 }), rules)).toBe(false);
    expect(isStuck(still(5, { originLed: false }), rules)).toBe(false);
    expect(isStuck(still(5, { originEmpty: true }), rules)).toBe(false);
  });

  it("is judged at once when its origin, out of reach a while, has a leader again with messages it took meanwhile", () => {
    const back = samples(...Array(4).fill({ originLed: false, originLastSeq: 10 }), { originLastSeq: 15 });
    expect(isStuck(back, rules)).toBe(true);
    const nothingNew = samples(...Array(4).fill({ originLed: false, originLastSeq: 10 }), {
      originLastSeq: 10,
    });
    expect(isStuck(nothingNew, rules)).toBe(false);
  });

  it("is not judged by position where that does not compare, only by nats-server's verdict", () => {
    expect(isStuck(still(5, { stored: undefined }), rules)).toBe(false);
    expect(isStuck(still(1, { stored: undefined, stalledOnFlowControl: true }), rules)).toBe(true);
  });

  it("is at once when nats-server says it stalled on flow control", () => {
    expect(isStuck(still(1, { stalledOnFlowControl: true }), rules)).toBe(true);
    expect(isStuck(still(1, { stalledOnFlowControl: true, originLed: false }), rules)).toBe(false);
  });

  it("is stuck again only after a backoff that grows with each remedy, whatever its origin takes meanwhile", () => {
    const remedied = (count: number, lastAt: number): Remedies => ({ count, lastAt, stored: 10, lag: 2 });
    const later = (ms: number) =>
      samples(...Array(4).fill({ originLastSeq: 500 })).map((s) => ({ ...s, at: s.at + ms }));
    expect(isStuck(later(0), rules, remedied(1, 0))).toBe(true);
    expect(isStuck(later(0), rules, remedied(2, 0))).toBe(false);
    expect(isStuck(later(7_000), rules, remedied(2, 0))).toBe(true);
    expect(isStuck(later(100_000), rules, remedied(9, 0))).toBe(false);
    expect(isStuck(later(117_000), rules, remedied(9, 0))).toBe(true);
  });

  it("forgets its remedies once it moves", () => {
    const remedies: Remedies = { count: 3, lastAt: 0, stored: 10, lag: 2 };
    expect(movedSince(remedies, still(1)[0])).toBe(false);
    expect(movedSince(remedies, still(1, { stored: 11 })[0])).toBe(true);
    expect(movedSince(remedies, still(1, { lag: 1 })[0])).toBe(true);
  });

  it("is not judged without samples", () => {
    expect(isStuck([], rules)).toBe(false);
  });
});
