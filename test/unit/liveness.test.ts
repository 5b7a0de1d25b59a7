import {
  checkLiveness,
  LivenessSpec,
  pingSettings,
  silentPeerGivenUpMs,
} from "../../components/model/liveness";
import { problemList } from "../../components/model/validation";

const problems = (given: LivenessSpec) => {
  const list = problemList();
  checkLiveness(given, list);
  return list.all.map((p) => `${p.field}: ${p.message}`);
};

describe("how soon servers give up on a silent peer", () => {
  it("by default, pings every second and gives up after 3 unanswered: a silent gateway is gone within 4 s", () => {
    expect(pingSettings(undefined)).toEqual({ ping_interval: "1s", ping_max: 3 });
    expect(silentPeerGivenUpMs(undefined)).toBe(4000);
  });

  it("takes the given interval and count, in the server's duration form", () => {
    expect(pingSettings({ pingInterval: "1500ms", pingMax: 2 })).toEqual({
      ping_interval: "1s500ms",
      ping_max: 2,
    });
    expect(silentPeerGivenUpMs({ pingInterval: "1500ms", pingMax: 2 })).toBe(4500);
    expect(silentPeerGivenUpMs({ pingInterval: "15s", pingMax: 2 })).toBe(45_000);
  });

  it("refuses an interval the server would cap or that busies every connection, and a bad count, naming the field", () => {
    expect(problems({ pingInterval: "1s", pingMax: 3 })).toEqual([]);
    expect(problems({ pingInterval: "100ms" })).toEqual([
      expect.stringMatching(/^liveness\.pingInterval: 100ms is outside 250ms to 15s/),
    ]);
    expect(problems({ pingInterval: "1m" })).toEqual([
      expect.stringMatching(
        /^liveness\.pingInterval: 1m is outside 250ms to 15s: .* gateways every 15 s at most/,
      ),
    ]);
    expect(problems({ pingInterval: "250ms", pingMax: 3 })).toEqual([
      "liveness: pingInterval × (pingMax + 1) is 1000 ms: at least 2000 ms, or a busy route or gateway " +
        "is closed while its answer waits behind queued messages",
    ]);
    expect(problems({ pingInterval: "500ms", pingMax: 3 })).toEqual([]);
    expect(problems({ pingInterval: "soon", pingMax: 0 })).toEqual([
      expect.stringMatching(/^liveness\.pingInterval: "soon" is not a duration/),
      "liveness.pingMax: must be an integer from 1 to 10 (got 0)",
    ]);
  });
});
