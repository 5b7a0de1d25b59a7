import { allServers, planSuperCluster } from "../../components/model/plan";
import { TopologySpec } from "../../components/model/topology";
import { InvalidSpecError } from "../../components/model/validation";
import { seedTopology } from "../support/topologies";

function problemsOf(spec: TopologySpec): { field: string; message: string }[] {
  try {
    planSuperCluster(spec);
  } catch (e) {
    if (e instanceof InvalidSpecError) return e.problems;
    throw e;
  }
  throw new Error("expected the topology to be rejected");
}

describe("planSuperCluster", () => {
  it("plans the seed topology: 3 regions of 3 servers and a stretch cluster over them", () => {
    const plan = planSuperCluster(seedTopology());
    expect(plan.clusters.map((c) => [c.name, c.servers.length, c.stretch])).toEqual([
      ["west", 3, false],
      ["central", 3, false],
      ["east", 3, false],
      ["stretch", 3, true],
    ]);
    expect(allServers(plan)).toHaveLength(12);
    expect(new Set(allServers(plan).map((s) => s.name)).size).toBe(12);
  });

  it("gives the stretch cluster's drain region as asked, by default its first region, and refuses one it does not span", () => {
    const seed = seedTopology();
    const stretch = seed.stretch as NonNullable<TopologySpec["stretch"]>;
    const drainOf = (spec: TopologySpec) =>
      planSuperCluster(spec).clusters.find((c) => c.stretch)?.drainRegion;
    expect(drainOf(seed)).toBe(stretch.regions[0]);
    expect(drainOf({ ...seed, stretch: { ...stretch, drainRegion: "east" } })).toBe("east");
    expect(problemsOf({ ...seed, stretch: { ...stretch, drainRegion: "mars" } })).toEqual([
      {
        field: "stretch.drainRegion",
        message: expect.stringContaining('"mars" is not one of stretch.regions'),
      },
    ]);
  });

  it("tags every server with region, cloud and zone, and stretch servers with stretch", () => {
    const plan = planSuperCluster(seedTopology());
    const west1 = allServers(plan).find((s) => s.name === "west-1");
    expect(west1?.tags).toEqual(["region:west", "cloud:local", "az:west-az1"]);
    const stretch = plan.clusters.find((c) => c.stretch);
    expect(stretch?.servers.map((s) => s.tags)).toEqual([
      ["region:west", "cloud:local", "az:west-az1", "stretch"],
      ["region:central", "cloud:local", "az:central-az1", "stretch"],
      ["region:east", "cloud:local", "az:east-az1", "stretch"],
    ]);
  });

  it("spreads servers over zones round robin", () => {
    const plan = planSuperCluster({ regions: [{ name: "r", servers: 5, zones: ["a", "b"] }] });
    expect(plan.clusters[0].servers.map((s) => s.zone)).toEqual(["a", "b", "a", "b", "a"]);
  });

  it("keeps the platform of each region, also on its stretch server", () => {
    const plan = planSuperCluster({
      regions: [
        { name: "a", platform: "aws" },
        { name: "g", platform: "gcp" },
        { name: "k", platform: "k8s" },
      ],
      stretch: { regions: ["a", "g", "k"] },
    });
    const stretch = plan.clusters.find((c) => c.stretch);
    expect(stretch?.servers.map((s) => s.tags[1])).toEqual(["cloud:aws", "cloud:gcp", "cloud:k8s"]);
  });

  it("refuses a zone name used by two regions: az tags must tell regions apart", () => {
    const problems = problemsOf({
      regions: [
        { name: "a", zones: ["z1", "z2"] },
        { name: "b", zones: ["z3", "z1"] },
      ],
    });
    expect(problems).toEqual([
      {
        field: "regions[1].zones[1]",
        message: expect.stringContaining('zone "z1" is already a zone of region "a"'),
      },
    ]);
  });

  it.each([
    ["a duplicate region", { regions: [{ name: "west" }, { name: "west" }] }, "regions[1].name", /duplicate/],
    ["a region name with a dot", { regions: [{ name: "us.west" }] }, "regions[0].name", /'\.'/],
    ["a region name with a space", { regions: [{ name: "us west" }] }, "regions[0].name", /spaces/],
    ["a region name with a wildcard", { regions: [{ name: "w*" }] }, "regions[0].name", /'\*'/],
    ["no regions", { regions: [] }, "regions", /at least one/],
    ["zero servers", { regions: [{ name: "w", servers: 0 }] }, "regions[0].servers", /integer from 1/],
    [
      "an unknown platform",
      { regions: [{ name: "w", platform: "azure" as never }] },
      "regions[0].platform",
      /local, aws, gcp, k8s/,
    ],
    [
      "a stretch cluster over 2 regions",
      { regions: [{ name: "a" }, { name: "b" }], stretch: { regions: ["a", "b"] } },
      "stretch.regions",
      /at least 3 regions/,
    ],
    [
      "a stretch cluster over an unknown region",
      { regions: [{ name: "a" }, { name: "b" }, { name: "c" }], stretch: { regions: ["a", "b", "x"] } },
      "stretch.regions[2]",
      /"x" is not one of the regions/,
    ],
    [
      "a stretch cluster named like a region",
      {
        regions: [{ name: "a" }, { name: "b" }, { name: "c" }],
        stretch: { name: "a", regions: ["a", "b", "c"] },
      },
      "stretch.name",
      /already a region name/,
    ],
  ])("rejects %s, naming the field", (_, spec, field, message) => {
    const problems = problemsOf(spec as TopologySpec);
    const problem = problems.find((p) => p.field === field);
    expect(problem).toBeDefined();
    expect(problem?.message).toMatch(message);
  });

  it("reports every problem at once", () => {
    const problems = problemsOf({
      regions: [{ name: "a.b" }, { name: "c d" }],
      stretch: { regions: ["a.b"] },
    });
    expect(problems.map((p) => p.field)).toEqual(
      expect.arrayContaining(["regions[0].name", "regions[1].name", "stretch.regions"]),
    );
  });
});
