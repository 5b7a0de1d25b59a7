import { hostPort } from "../../components/model/endpoints";
import {
  latencyMilliseconds,
  MAX_LATENCY_MS,
  planLatencyProxies,
  proxiedAddressing,
} from "../../components/platforms/local/latencyProxyPlan";
import { allServers, planSuperCluster } from "../../components/model/plan";
import { planRegionNetwork } from "../../components/platforms/local/regionNetworkPlan";
import { renderServerConfig } from "../../components/model/serverConfig";
import { InvalidSpecError } from "../../components/model/validation";
import { seedTopology } from "../support/topologies";
import { DEFAULT_LOCAL_PORTS, loopbackAddressing } from "../../components/platforms/local/ports";

const superCluster = planSuperCluster(seedTopology());
const loopback = loopbackAddressing(superCluster, DEFAULT_LOCAL_PORTS);
const network = planRegionNetwork({ prefix: "ng1a2b", regions: ["west", "central", "east"] });
const auth = {
  app: { user: "a", password: "p" },
  system: { user: "s", password: "q" },
  watcher: { user: "w", password: "r" },
};

describe("latency proxies", () => {
  it("put one proxy in each region's namespace, on the second address of its subnet", () => {
    const proxies = planLatencyProxies(superCluster, loopback, network, 25);
    expect(proxies.map((p) => [p.region, p.namespace, p.address, p.apiUrl, p.latencyMs])).toEqual([
      ["west", "ng1a2b-0", "127.77.1.2", "http://127.77.1.2:8474", 25],
      ["central", "ng1a2b-1", "127.77.2.2", "http://127.77.2.2:8474", 25],
      ["east", "ng1a2b-2", "127.77.3.2", "http://127.77.3.2:8474", 25],
    ]);
  });

  it("stand in front of the gateway of every server a region hosts and the route of its stretch server", () => {
    const central = planLatencyProxies(superCluster, loopback, network, 25)[1];
    expect(central.ports).toEqual([
      { name: "gateway-central-1", listen: "127.77.2.2:7225", upstream: "127.77.2.1:7225" },
      { name: "gateway-central-2", listen: "127.77.2.2:7226", upstream: "127.77.2.1:7226" },
      { name: "gateway-central-3", listen: "127.77.2.2:7227", upstream: "127.77.2.1:7227" },
      { name: "gateway-stretch-2", listen: "127.77.2.2:7232", upstream: "127.77.2.1:7232" },
      { name: "route-stretch-2", listen: "127.77.2.2:6232", upstream: "127.77.2.1:6232" },
    ]);
  });

  it("make servers advertise, and peers dial, only the proxies for links between regions", () => {
    const addressing = proxiedAddressing(loopback, network);
    const proxies = planLatencyProxies(superCluster, loopback, network, 25);
    const listening = new Set(proxies.flatMap((p) => p.ports.map((port) => port.listen)));
    const files = { storeDir: "/tmp/x" };
    for (const server of allServers(superCluster)) {
      const config = renderServerConfig(server, { plan: superCluster, addressing, files, auth });
      // Whatever a peer learns by gossip leads to a proxy.
      expect(listening.has(config.gateway.advertise as string)).toBe(true);
      for (const gateway of config.gateway.gateways) {
        for (const url of gateway.urls) expect(listening.has(url.replace("nats://", ""))).toBe(true);
      }
      const routes = config.cluster.routes.map((url) => url.replace("nats-route://", ""));
      if (server.stretch) {
        expect(listening.has(config.cluster.advertise as string)).toBe(true);
        expect(routes.every((r) => listening.has(r))).toBe(true);
      } else {
        // A region's own replicas talk directly.
        expect(config.cluster.advertise).toBeUndefined();
        expect(routes.some((r) => listening.has(r))).toBe(false);
      }
      expect(config.listen).toBe(
        hostPort({ host: addressing(server).host, port: addressing(server).client }),
      );
    }
  });

  it.each<[unknown, number]>([
    ["40ms", 40],
    ["1s", 1000],
    [0, 0],
  ])("take latency %j as %d ms", (latency, ms) => {
    expect(latencyMilliseconds(latency as string, "local.latency")).toBe(ms);
  });

  it.each<[unknown, string]>([
    ["40", "whole milliseconds"],
    ["1.5ms", "whole milliseconds"],
    ["fast", "not a duration"],
    ["6s", `at most ${MAX_LATENCY_MS}ms`],
  ])("refuse latency %j, naming the field", (latency, message) => {
    expect(() => latencyMilliseconds(latency as string, "local.latency")).toThrow(InvalidSpecError);
    expect(() => latencyMilliseconds(latency as string, "local.latency")).toThrow(
      new RegExp(`local\\.latency: .*${message}`),
    );
  });
});
