import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { Endpoint, monitorUrl } from "../../components/model/endpoints";
import { allServers, planSuperCluster, ServerPlan } from "../../components/model/plan";
import {
  networkNamespaces,
  planRegionNetwork,
  regionAddressing,
  regionLink,
} from "../../components/platforms/local/regionNetworkPlan";
import { renderServerConfig } from "../../components/model/serverConfig";
import { waitHealthy } from "../../components/platforms/local/health";
import { serverFiles, startServer, stopServer } from "../../components/platforms/local/processes";
import {
  createRegionNetwork,
  destroyRegionNetwork,
  heal,
  isolate,
  namespaceLauncher,
  partition,
  runInNamespace,
} from "../../components/platforms/local/regionNetwork";
import { eventually, monitor } from "../support/monitor";
import { TEST_AUTH } from "../support/superClusterHarness";
import { seedTopology } from "../support/topologies";
import { tool } from "../support/tools";
import { loopbackAddressing } from "../../components/platforms/local/ports";

// Below 32768 and apart from the other suites' ports; octet 78 leaves the default 77 to a local stack.
const PORTS = { client: 15222, cluster: 15322, gateway: 15422, monitor: 15522 };
const network = planRegionNetwork({ prefix: "ngitest", regions: ["west", "central", "east"], octet: 78 });
const superCluster = planSuperCluster(seedTopology());
const addressing = regionAddressing(loopbackAddressing(superCluster, PORTS), network);
const clusterNames = superCluster.clusters.map((c) => c.name);
const serversOf = (...regions: string[]) =>
  allServers(superCluster).filter((s) => !s.stretch && regions.includes(s.region));

const execFile = promisify(childProcess.execFile);
const ip = (...args: string[]) => childProcess.execFileSync("ip", args, { encoding: "utf8" });

/** How a TCP connect ends within a timeout: "connected", "timeout" (a silent drop) or an errno. */
const PROBE = `
const socket = require("net").connect(Number(process.argv[2]), process.argv[1]);
socket.setTimeout(Number(process.argv[3]), () => { console.log("timeout"); process.exit(0); });
socket.on("connect", () => { console.log("connected"); process.exit(0); });
socket.on("error", (e) => { console.log(e.code); process.exit(0); });
`;

/** Probes from a region's namespace, or from the root namespace when `region` is undefined. */
async function probe(
  region: string | undefined,
  host: string,
  port: number,
  timeoutMs = 3000,
): Promise<string> {
  const argv = [process.execPath, "-e", PROBE, host, String(port), String(timeoutMs)];
  if (region === undefined) return (await execFile(argv[0], argv.slice(1))).stdout.trim();
  const result = await runInNamespace(regionLink(network, region).namespace, argv, timeoutMs + 5000);
  return result.stdout.trim() || `exit ${result.code}: ${result.stderr}`;
}

/**
 * ICMP messages the router has sent. A probe alone cannot tell a silent drop from an ICMP error:
 * the router rate-limits ICMP per source host, and every server of a region shares one address.
 */
function routerIcmpSent(): number {
  const snmp = ip("netns", "exec", network.router.namespace, "cat", "/proc/net/snmp").split("\n");
  const [names, values] = snmp.filter((line) => line.startsWith("Icmp:")).map((line) => line.split(/\s+/));
  return Number(values[names.indexOf("OutMsgs")]);
}

const endpointOf = (region: string): Endpoint => addressing(serversOf(region)[0]);

async function outboundGateways(server: ServerPlan): Promise<string[]> {
  const gatewayz = await monitor<{ outbound_gateways?: Record<string, unknown> }>(
    monitorUrl(addressing(server)),
    "gatewayz",
  );
  return Object.keys(gatewayz.outbound_gateways ?? {}).sort();
}

/** Waits until every server has an outbound gateway to every other cluster. */
async function allGatewaysConnected(timeoutMs: number): Promise<void> {
  await eventually(
    "every server connected to every other cluster's gateway",
    async () => {
      for (const server of allServers(superCluster)) {
        const expected = clusterNames.filter((c) => c !== server.cluster).sort();
        if ((await outboundGateways(server)).join() !== expected.join()) return undefined;
      }
      return true;
    },
    timeoutMs,
  );
}

const running = new Map<string, { pid: number; dir: string }>();
const root = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-netns-"));

async function stopAll(): Promise<void> {
  await Promise.all([...running.values()].map((r) => stopServer(r.dir, 5000)));
  running.clear();
}

afterAll(async () => {
  await stopAll();
  await destroyRegionNetwork(network);
  fs.rmSync(root, { recursive: true, force: true });
}, 60_000);

describe("createRegionNetwork's preconditions", () => {
  // In a child process that could change nothing even without the checks: as nobody, or with no
  // `ip` to run.
  const SCRIPT = `
require(process.argv[1]).register({ transpileOnly: true });
const { planRegionNetwork } = require(process.argv[2]);
const { createRegionNetwork } = require(process.argv[3]);
createRegionNetwork(planRegionNetwork({ prefix: "ngpre", regions: ["a"] })).then(
  () => console.log("created"),
  (e) => console.log(e.message),
);`;
  const argv = [
    process.execPath,
    "-e",
    SCRIPT,
    require.resolve("ts-node"),
    path.resolve(__dirname, "../../components/platforms/local/regionNetworkPlan"),
    path.resolve(__dirname, "../../components/platforms/local/regionNetwork"),
  ];

  it("refuses to run without root, naming the fix", async () => {
    const { stdout } = await execFile("setpriv", [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      ...argv,
    ]);
    expect(stdout).toMatch(/need root .*run this as root, e\.g\. with sudo/);
  });

  it("refuses to run without `ip`, naming the package", async () => {
    const { stdout } = await execFile(argv[0], argv.slice(1), { env: { PATH: "/nonexistent" } });
    expect(stdout).toMatch(/`ip netns` is unavailable .*install iproute2/);
  });
});

describe("regions in network namespaces", () => {
  it("builds the network, and builds it again over what a crashed run left", async () => {
    await createRegionNetwork(network);
    await createRegionNetwork(network);
    // A crash between steps: the router gone, and with it every link of the regions.
    ip("netns", "del", network.router.namespace);
    await createRegionNetwork(network);

    const rival = planRegionNetwork({ prefix: "ngrival", regions: ["west"], octet: 78 });
    await expect(createRegionNetwork(rival)).rejects.toThrow(
      /127\.78\.0\.0\/16 is already routed to ngitest-root .*give this one another octet/,
    );
    expect(ip("netns", "list")).not.toContain("ngrival");

    // A refused connect is an answer from the region's own kernel: the path is there.
    for (const region of network.regions) {
      expect(await probe(undefined, region.address, PORTS.client)).toBe("ECONNREFUSED");
      expect(await probe("west", region.address, PORTS.client)).toBe("ECONNREFUSED");
      expect(ip("-n", region.namespace, "-br", "addr", "show", "dev", "lo")).toMatch(/127\.0\.0\.1\/32/);
      expect(ip("-n", region.namespace, "-br", "addr", "show", "dev", "lo")).not.toMatch(/\/8/);
    }
  }, 60_000);

  it("runs each region's servers, its stretch server included, inside its namespace", async () => {
    await Promise.all(
      allServers(superCluster).map(async (server) => {
        const dir = path.join(root, server.name);
        const files = serverFiles(dir);
        const config = renderServerConfig(server, {
          plan: superCluster,
          addressing,
          files: { storeDir: files.storeDir, logFile: files.logFile },
          auth: TEST_AUTH,
        });
        const pid = await startServer({
          binary: tool("nats-server"),
          dir,
          // Pings every 2 s: a silently cut gateway is noticed within seconds, not 30 to 45.
          config: { ...config, ping_interval: "2s", ping_max: 2 },
          monitorUrl: monitorUrl(addressing(server)),
          timeoutMs: 20_000,
          launcher: namespaceLauncher(regionLink(network, server.region).namespace),
        });
        running.set(server.name, { pid, dir });
      }),
    );
    for (const server of allServers(superCluster)) {
      const pid = running.get(server.name)?.pid;
      expect([server.name, ip("netns", "identify", String(pid)).trim()]).toEqual([
        server.name,
        regionLink(network, server.region).namespace,
      ]);
    }
    const stretch2 = allServers(superCluster).find((s) => s.name === "stretch-2") as ServerPlan;
    expect((await monitor(monitorUrl(addressing(stretch2)), "varz")).host).toBe(
      regionLink(network, "central").address,
    );

    await waitHealthy(
      allServers(superCluster).map((s) => monitorUrl(addressing(s))),
      90_000,
    );
    await allGatewaysConnected(30_000);
  }, 150_000);

  it("cuts central from west and east silently, while the root namespace reaches everyone", async () => {
    const started = Date.now();
    const icmpBefore = routerIcmpSent();
    await partition(network, [["central"], ["west", "east"]]);
    await partition(network, [["central"], ["west", "east"]]);

    await eventually(
      "central's servers and the others to report each other's gateways gone",
      async () => {
        for (const server of serversOf("central")) {
          const outbound = await outboundGateways(server);
          if (outbound.includes("west") || outbound.includes("east")) return undefined;
        }
        for (const server of serversOf("west", "east")) {
          if ((await outboundGateways(server)).includes("central")) return undefined;
        }
        return true;
      },
      60_000,
    );
    console.log(`partition seen by every regional server after ${Date.now() - started} ms`);

    const central = endpointOf("central");
    expect((await monitor(monitorUrl(central), "varz")).server_name).toBe("central-1");
    expect(await probe(undefined, central.host, central.gateway)).toBe("connected");
    // Dropped, not refused or unreachable: the other side hears nothing at all.
    expect(await probe("west", central.host, central.gateway)).toBe("timeout");
    expect(await probe("central", endpointOf("east").host, endpointOf("east").gateway)).toBe("timeout");
    expect(await probe("west", endpointOf("east").host, endpointOf("east").gateway)).toBe("connected");
    expect(routerIcmpSent()).toBe(icmpBefore);
  }, 120_000);

  it("heals: every gateway comes back", async () => {
    const started = Date.now();
    await heal(network);
    await heal(network);
    await allGatewaysConnected(60_000);
    console.log(`every gateway back ${Date.now() - started} ms after heal`);
    await waitHealthy(
      allServers(superCluster).map((s) => monitorUrl(addressing(s))),
      90_000,
    );
  }, 180_000);

  it("isolates central from everyone, the root namespace too, and heals", async () => {
    const central = endpointOf("central");
    const icmpBefore = routerIcmpSent();
    await isolate(network, ["central"]);
    expect(await probe(undefined, central.host, central.monitor)).toBe("timeout");
    expect(await probe("east", central.host, central.client)).toBe("timeout");
    expect(await probe(undefined, endpointOf("west").host, endpointOf("west").monitor)).toBe("connected");
    expect(routerIcmpSent()).toBe(icmpBefore);
    await heal(network);
    expect(await probe(undefined, central.host, central.monitor)).toBe("connected");
  }, 60_000);

  it("refuses to destroy under running servers, then removes every namespace, link and route", async () => {
    await expect(destroyRegionNetwork(network)).rejects.toThrow(
      /processes still run in ngitest-0 \(pids \d+.*: stop them before destroying the network/,
    );
    await stopAll();
    await destroyRegionNetwork(network);
    await destroyRegionNetwork(network);

    const namespaces = ip("netns", "list");
    for (const namespace of networkNamespaces(network)) expect(namespaces).not.toContain(namespace);
    expect(ip("-br", "link")).not.toContain(network.root.interface);
    expect(ip("route", "show", "table", "local")).not.toContain("127.78.");
  }, 60_000);
});
