import { planSuperCluster } from "../../components/model/plan";
import { PortBases } from "../../components/model/topology";
import { InvalidSpecError } from "../../components/model/validation";
import { checkPlatforms } from "../../components/platforms/checks";
import { DEFAULT_LOCAL_PORTS, loopbackAddressing } from "../../components/platforms/local/ports";
import { RegionArgs } from "../../components/platforms/registry";
import { seedTopology } from "../support/topologies";

/** The problems the preview reports for local regions on these port bases. */
function problemsOf(regions: RegionArgs[], ports: Partial<PortBases>): { field: string; message: string }[] {
  const spec = { regions, local: { dataDir: "/var/lib/nats-global", ports } };
  try {
    checkPlatforms(spec, planSuperCluster(spec), "nats", "test");
  } catch (e) {
    if (e instanceof InvalidSpecError) return e.problems;
    throw e;
  }
  return [];
}

describe("local ports", () => {
  it.each([
    [
      "clashing ranges",
      [{ name: "a" }, { name: "b" }],
      { client: 5000, cluster: 5003 },
      "local.ports.cluster",
      /ports 5003\.\.5008 clash with local\.ports\.client \(5000\.\.5005\) for 6 local servers: keep the bases at least 6 apart/,
    ],
    [
      "a range past 65535",
      [{ name: "a" }],
      { monitor: 65534 },
      "local.ports.monitor",
      /3 local servers need ports 65534\.\.65536, past 65535: lower it/,
    ],
    [
      "a base that is no port",
      [{ name: "a" }],
      { client: -1 },
      "local.ports.client",
      /must be an integer from 1 to 65535 \(got -1\)/,
    ],
  ])("refuses %s at preview, naming the field and the fix", (_, regions, ports, field, message) => {
    const problems = problemsOf(regions, ports);
    expect(problems).toEqual([{ field, message: expect.stringMatching(message) }]);
  });

  it("accepts bases closer than the defaults when the ranges do not meet", () => {
    expect(
      problemsOf([{ name: "a", servers: 1 }], { client: 5000, cluster: 5001, gateway: 5002, monitor: 5003 }),
    ).toEqual([]);
  });

  it("gives local server k port base + k of each kind, counted over the whole super-cluster", () => {
    const plan = planSuperCluster(seedTopology());
    const addressing = loopbackAddressing(plan, { ...DEFAULT_LOCAL_PORTS, client: 5000 });
    const servers = plan.clusters.flatMap((c) => c.servers);
    expect(servers.map((s) => addressing(s).client)).toEqual(servers.map((_, k) => 5000 + k));
    expect(addressing(servers[1])).toEqual({
      host: "127.0.0.1",
      bind: "127.0.0.1",
      client: 5001,
      cluster: DEFAULT_LOCAL_PORTS.cluster + 1,
      gateway: DEFAULT_LOCAL_PORTS.gateway + 1,
      monitor: DEFAULT_LOCAL_PORTS.monitor + 1,
    });
  });
});
