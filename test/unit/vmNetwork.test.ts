import { planSuperCluster } from "../../components/model/plan";
import {
  addressIn,
  planVmNetwork,
  planVmNetworkIn,
  subnetProblem,
} from "../../components/platforms/vm/network";

const plan = planSuperCluster({
  regions: [
    { name: "west", platform: "aws", zones: ["us-west-2a", "us-west-2b", "us-west-2c"] },
    { name: "a" },
    { name: "b" },
  ],
  stretch: { regions: ["west", "a", "b"] },
});
const west = plan.clusters.flatMap((c) => c.servers).filter((s) => s.region === "west");

describe("the private network of a region's VMs", () => {
  it("gives each server of a created network a fixed address in its zone's /24, stretch server included", () => {
    const network = planVmNetwork(10, ["us-west-2a", "us-west-2b", "us-west-2c"], west);
    expect(network.cidr).toBe("10.10.0.0/16");
    expect(Object.fromEntries(network.privateIps)).toEqual({
      "west-1": "10.10.0.10",
      "west-2": "10.10.1.10",
      "west-3": "10.10.2.10",
      // The stretch server shares the first zone with west-1: the next address there.
      "stretch-1": "10.10.0.11",
    });
  });

  it("places servers in subnets the user gives, zones sharing one when given so", () => {
    const network = planVmNetworkIn(
      "",
      ["us-west-2a", "us-west-2b", "us-west-2c"].map((zone) => ({ zone, cidr: "172.31.16.0/20" })),
      west,
    );
    expect([...network.privateIps.values()]).toEqual([
      "172.31.16.10",
      "172.31.16.11",
      "172.31.16.12",
      "172.31.16.13",
    ]);
  });

  it("does address arithmetic across octets and refuses what a subnet cannot hold", () => {
    expect(addressIn("10.0.0.200/23", 300)).toBe("10.0.1.44");
    expect(addressIn("10.0.0.0/28", 15)).toBeUndefined();
    expect(subnetProblem("10.0.0.0/28", 5)).toBeUndefined();
    expect(subnetProblem("10.0.0.0/28", 6)).toMatch(/too small for 6 servers/);
    expect(subnetProblem("10.0.0/24", 1)).toMatch(/not an IPv4 CIDR/);
  });
});
