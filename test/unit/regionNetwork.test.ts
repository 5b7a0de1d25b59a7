import { allServers, planSuperCluster } from "../../components/model/plan";
import {
  dropRules,
  MAX_INTERFACE_NAME,
  networkNamespaces,
  planRegionNetwork,
  regionAddressing,
  RegionNetworkSpec,
  regionLink,
} from "../../components/platforms/local/regionNetworkPlan";
import { InvalidSpecError } from "../../components/model/validation";
import { seedTopology } from "../support/topologies";
import { loopbackAddressing } from "../../components/platforms/local/ports";

const SEED = { prefix: "ng1a2b", regions: ["west", "central", "east"] };

function problemsOf(run: () => unknown): { field: string; message: string }[] {
  try {
    run();
  } catch (e) {
    if (e instanceof InvalidSpecError) return e.problems;
    throw e;
  }
  throw new Error("expected the input to be rejected");
}

describe("planRegionNetwork", () => {
  it("gives each region a namespace and one address of its own /24 in 127.77.0.0/16", () => {
    const plan = planRegionNetwork(SEED);
    expect(plan.range).toBe("127.77.0.0/16");
    expect(plan.regions.map((r) => [r.region, r.namespace, r.address, r.subnet, r.gateway])).toEqual([
      ["west", "ng1a2b-0", "127.77.1.1", "127.77.1.0/24", "127.77.1.254"],
      ["central", "ng1a2b-1", "127.77.2.1", "127.77.2.0/24", "127.77.2.254"],
      ["east", "ng1a2b-2", "127.77.3.1", "127.77.3.0/24", "127.77.3.254"],
    ]);
    expect(plan.router).toEqual({ namespace: "ng1a2b-r", rootInterface: "root", address: "127.77.0.254" });
    expect(plan.root).toEqual({ interface: "ng1a2b-root", address: "127.77.0.1" });
    expect(networkNamespaces(plan)).toEqual(["ng1a2b-0", "ng1a2b-1", "ng1a2b-2", "ng1a2b-r"]);
  });

  it("moves every address with the octet and every name with the prefix", () => {
    const a = planRegionNetwork({ ...SEED, octet: 78 });
    const b = planRegionNetwork({ ...SEED, prefix: "ngffff" });
    expect(a.regions.map((r) => r.address)).toEqual(["127.78.1.1", "127.78.2.1", "127.78.3.1"]);
    const names = (p: typeof a) => [...networkNamespaces(p), p.root.interface];
    expect(names(a).filter((n) => names(b).includes(n))).toEqual([]);
  });

  it("keeps every interface name within Linux's limit for the longest prefix and most regions", () => {
    const regions = Array.from({ length: 254 }, (_, i) => `r${i}`);
    const plan = planRegionNetwork({ prefix: "a".repeat(10), regions });
    const names = [
      plan.root.interface,
      plan.router.rootInterface,
      ...plan.regions.flatMap((r) => [r.uplink, r.routerInterface]),
    ];
    expect(Math.max(...names.map((n) => n.length))).toBeLessThanOrEqual(MAX_INTERFACE_NAME);
    expect(new Set(plan.regions.map((r) => r.routerInterface)).size).toBe(254);
    expect(plan.regions[253].address).toBe("127.77.254.1");
  });

  it.each<[string, Partial<RegionNetworkSpec>, string, RegExp]>([
    ["a prefix too long for the root interface name", { prefix: "a".repeat(11) }, "prefix", /at most 10/],
    ["a prefix that is not a plain name", { prefix: "ng-1" }, "prefix", /lowercase letters and digits/],
    ["octet 0, which holds 127.0.0.1", { octet: 0 }, "octet", /from 1 to 254/],
    ["octet 255, lo's broadcast", { octet: 255 }, "octet", /from 1 to 254/],
    ["no regions", { regions: [] }, "regions", /at least one/],
    ["a region twice", { regions: ["a", "a"] }, "regions", /unique/],
    [
      "more regions than third octets",
      { regions: Array.from({ length: 255 }, (_, i) => `r${i}`) },
      "regions",
      /254/,
    ],
  ])("refuses %s, naming the field", (_what, override, field, message) => {
    const problems = problemsOf(() => planRegionNetwork({ ...SEED, ...override }));
    expect(problems).toEqual([{ field, message: expect.stringMatching(message) }]);
  });

  it("reports every bad field at once", () => {
    const problems = problemsOf(() => planRegionNetwork({ prefix: "", regions: [], octet: 300 }));
    expect(problems.map((p) => p.field)).toEqual(["prefix", "octet", "regions"]);
  });
});

describe("regionAddressing", () => {
  const superCluster = planSuperCluster(seedTopology());
  const loopback = loopbackAddressing(superCluster, {
    client: 4000,
    cluster: 5000,
    gateway: 6000,
    monitor: 7000,
  });
  const network = planRegionNetwork(SEED);

  it("binds every server to its region's address, stretch servers to their host region's", () => {
    const addressing = regionAddressing(loopback, network);
    const hosts = Object.fromEntries(allServers(superCluster).map((s) => [s.name, addressing(s).bind]));
    expect(hosts).toMatchObject({
      "west-1": "127.77.1.1",
      "central-3": "127.77.2.1",
      "east-2": "127.77.3.1",
      "stretch-1": "127.77.1.1",
      "stretch-2": "127.77.2.1",
      "stretch-3": "127.77.3.1",
    });
    for (const server of allServers(superCluster))
      expect(addressing(server).host).toBe(addressing(server).bind);
  });

  it("keeps the loopback ports: unique per server across the super-cluster", () => {
    const addressing = regionAddressing(loopback, network);
    for (const server of allServers(superCluster)) {
      const { host: _h, bind: _b, ...ports } = addressing(server);
      const { host: _lh, bind: _lb, ...loopbackPorts } = loopback(server);
      expect(ports).toEqual(loopbackPorts);
    }
  });

  it("refuses a server whose region has no namespace", () => {
    const partial = planRegionNetwork({ ...SEED, regions: ["west", "east"] });
    const central = allServers(superCluster).find((s) => s.region === "central");
    expect(() => regionAddressing(loopback, partial)(central!)).toThrow(
      /region "central" has no namespace in network ng1a2b \(it has west, east\)/,
    );
  });
});

describe("dropRules", () => {
  const plan = planRegionNetwork(SEED);
  const [west, central, east] = ["west", "central", "east"].map((r) => regionLink(plan, r).subnet);

  it("drops nothing on a healthy network", () => {
    expect(dropRules(plan, {})).toEqual([]);
    expect(dropRules(plan, { partition: [], isolated: [] })).toEqual([]);
  });

  it("cuts both directions between the sides of a partition, and nothing within a side", () => {
    const rules = dropRules(plan, { partition: [["central"], ["west", "east"]] });
    expect(rules).toHaveLength(4);
    expect(rules).toEqual(
      expect.arrayContaining([
        { from: west, to: central },
        { from: central, to: west },
        { from: east, to: central },
        { from: central, to: east },
      ]),
    );
  });

  it("puts the regions no group names on one more side", () => {
    const explicit = dropRules(plan, { partition: [["central"], ["west", "east"]] });
    expect(dropRules(plan, { partition: [["central"]] })).toEqual(expect.arrayContaining(explicit));
    expect(dropRules(plan, { partition: [["central"]] })).toHaveLength(explicit.length);
    expect(dropRules(plan, { partition: [["west", "central", "east"]] })).toEqual([]);
  });

  it("cuts an isolated region from the whole range, the root namespace's address included", () => {
    expect(dropRules(plan, { isolated: ["central"] })).toEqual([
      { from: central, to: plan.range },
      { from: plan.range, to: central },
    ]);
  });

  it("adds each rule once when a partition and an isolation overlap", () => {
    const rules = dropRules(plan, { partition: [["central"]], isolated: ["central", "central"] });
    expect(rules).toHaveLength(6);
  });

  it("refuses unknown regions and a region on two sides, naming each", () => {
    const problems = problemsOf(() =>
      dropRules(plan, { partition: [["west", "north"], ["west"]], isolated: ["south"] }),
    );
    expect(problems).toEqual([
      { field: "partition[0][1]", message: expect.stringMatching(/unknown region "north"/) },
      { field: "partition[1][0]", message: expect.stringMatching(/"west" is already in group 0/) },
      { field: "isolated[0]", message: expect.stringMatching(/unknown region "south"/) },
    ]);
  });
});
