import { planSuperCluster } from "../../components/model/plan";
import { planWatchers } from "../../components/model/watchers";
import { seedTopology } from "../support/topologies";

describe("where the source watchers run and what each mends", () => {
  it("gives each region's account to its own region's watcher, and each cluster's streams to one watcher", () => {
    const watchers = planWatchers(planSuperCluster(seedTopology()));
    expect(watchers).toEqual([
      {
        region: "west",
        accounts: [{ account: "APP", clusters: ["west", "stretch"] }, { account: "APP-west" }],
      },
      {
        region: "central",
        accounts: [{ account: "APP", clusters: ["central"] }, { account: "APP-central" }],
      },
      { region: "east", accounts: [{ account: "APP", clusters: ["east"] }, { account: "APP-east" }] },
    ]);
  });

  it("runs one per region without a stretch cluster", () => {
    const plan = planSuperCluster({ regions: [{ name: "a" }, { name: "b" }] });
    expect(planWatchers(plan).map((w) => w.accounts[0].clusters)).toEqual([["a"], ["b"]]);
  });
});
