import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Addressing } from "../../components/model/endpoints";
import { proxiedAddressing } from "../../components/platforms/local/latencyProxyPlan";
import { allServers, planSuperCluster, SuperClusterPlan } from "../../components/model/plan";
import { planRegionNetwork } from "../../components/platforms/local/regionNetworkPlan";
import { mergeAccountLinks, withAccountLinks } from "../../components/model/linksConfig";
import { AccountLinks } from "../../components/model/regionAccounts";
import { planVirtualStream } from "../../components/model/virtualStream";
import { AuthPlan, NatsServerConfig, renderServerConfig } from "../../components/model/serverConfig";
import { createNKey, signJwt } from "../../components/credentials/jwt";
import { createCertificateAuthority, issueServerCertificate } from "../../components/credentials/x509";
import { serverAltNames } from "../../components/model/security/tls";
import { operatorClaims } from "../../components/model/security/claims";
import { TopologySpec } from "../../components/model/topology";
import { pingSettings } from "../../components/model/liveness";
import { operatorAuth } from "../support/operatorAuth";
import { seedTopology } from "../support/topologies";
import { tool } from "../support/tools";
import { DEFAULT_LOCAL_PORTS, loopbackAddressing } from "../../components/platforms/local/ports";

const auth: AuthPlan = {
  app: { user: "app", password: "app-password" },
  system: { user: "system", password: "system-password" },
  watcher: { user: "watcher", password: "watcher-password" },
};

const links: AccountLinks = {
  exports: [{ service: "foo.west.>", accounts: ["APP-west"] }],
  imports: { "APP-west": [{ service: { account: "APP", subject: "foo.west.>" }, to: "foo.>" }] },
};

type AddressingOf = (plan: SuperClusterPlan) => Addressing;

function renderAll(
  spec: TopologySpec,
  dir: string,
  addressingOf: AddressingOf = (plan) => loopbackAddressing(plan, DEFAULT_LOCAL_PORTS),
  withLinks: AccountLinks = { exports: [], imports: {} },
): NatsServerConfig[] {
  const plan = planSuperCluster(spec);
  const addressing = addressingOf(plan);
  return allServers(plan).map((server) =>
    withAccountLinks(
      renderServerConfig(server, {
        plan,
        addressing,
        auth,
        files: { storeDir: path.join(dir, server.name), logFile: path.join(dir, server.name, "log") },
      }),
      withLinks,
    ),
  );
}

/** `nats-server -t`: parses the config and checks it as the server would at start-up. */
function serverCheck(config: NatsServerConfig, dir: string): { status: number | null; output: string } {
  const file = path.join(dir, `${config.server_name}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  const result = spawnSync(tool("nats-server"), ["-t", "-c", file], { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** nats-server -t accepts the config, naming the server when it does not. */
function expectAccepted(config: NatsServerConfig, dir: string): void {
  const check = serverCheck(config, dir);
  expect({ server: config.server_name, ...check }).toEqual({
    server: config.server_name,
    status: 0,
    output: expect.stringContaining("configuration file"),
  });
}

describe("rendered server configs", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-config-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each<[string, TopologySpec]>([
    ["the seed topology", seedTopology()],
    ["one region without a stretch cluster", { regions: [{ name: "solo", servers: 1 }] }],
    [
      "five regions of various sizes and zones",
      {
        regions: [
          { name: "r1", servers: 1 },
          { name: "r2", servers: 2, zones: ["a", "b"] },
          { name: "r3", servers: 3 },
          { name: "r4", servers: 5, zones: ["x"] },
          { name: "r5" },
        ],
        stretch: { name: "global", regions: ["r1", "r2", "r3", "r4", "r5"] },
      },
    ],
  ])("pass nats-server -t for %s", (_, spec) => {
    for (const config of renderAll(spec, dir)) {
      expectAccepted(config, dir);
    }
  });

  it("pass nats-server -t in operator mode, with the operator's JWT and the accounts signed by it", () => {
    const security = operatorAuth({ R3: { fileStore: 1e9 } });
    const plan = planSuperCluster(seedTopology());
    const addressing = loopbackAddressing(plan, DEFAULT_LOCAL_PORTS);
    for (const server of allServers(plan)) {
      const config = renderServerConfig(server, {
        plan,
        addressing,
        auth: security,
        files: { storeDir: path.join(dir, server.name) },
      });
      expectAccepted(config, dir);
    }
  });

  it("are refused by nats-server -t in operator mode when the operator JWT is not signed by its key", () => {
    const operator = createNKey("operator");
    const system = createNKey("account");
    const plan = planSuperCluster({ regions: [{ name: "solo", servers: 1 }] });
    const config = renderServerConfig(allServers(plan)[0], {
      plan,
      addressing: loopbackAddressing(plan, DEFAULT_LOCAL_PORTS),
      auth: {
        operator: {
          // Claims about the operator, signed by an account key: not a valid operator JWT.
          jwt: signJwt("forged", operator.publicKey, operatorClaims(system.publicKey), system.seed),
          systemAccount: system.publicKey,
          preload: {},
        },
      },
      files: { storeDir: path.join(dir, "forged") },
    });
    expect(serverCheck(config, dir).status).not.toBe(0);
  });

  it("pass nats-server -t with TLS on every link and the certificates the stack issues; refused with a wrong key", async () => {
    const plan = planSuperCluster(seedTopology());
    const loopback = loopbackAddressing(plan, DEFAULT_LOCAL_PORTS);
    // A platform whose servers bind every interface: monitoring then goes over HTTPS.
    const everywhere: Addressing = (server) => ({ ...loopback(server), host: "10.0.0.5", bind: "0.0.0.0" });
    const ca = await createCertificateAuthority("test CA", 3_600_000);
    const [server] = allServers(plan);
    for (const addressing of [loopback, everywhere]) {
      const certificate = await issueServerCertificate(
        ca,
        server.name,
        serverAltNames(addressing(server)),
        3_600_000,
      );
      const tlsDir = path.join(dir, "tls", addressing === loopback ? "loopback" : "everywhere");
      fs.mkdirSync(tlsDir, { recursive: true });
      const tls = {
        caFile: path.join(tlsDir, "ca.pem"),
        certFile: path.join(tlsDir, "cert.pem"),
        keyFile: path.join(tlsDir, "key.pem"),
      };
      fs.writeFileSync(tls.caFile, ca.certPem);
      fs.writeFileSync(tls.certFile, certificate.certPem);
      fs.writeFileSync(tls.keyFile, certificate.keyPem);
      const config = renderServerConfig(server, {
        plan,
        addressing,
        auth,
        files: { storeDir: path.join(dir, server.name), tls },
      });
      expect(config.gateway.tls?.verify).toBe(true);
      expect(config.cluster.tls?.verify).toBe(true);
      expect(config.https === undefined).toBe(addressing === loopback);
      expectAccepted(config, dir);
      fs.writeFileSync(tls.keyFile, ca.keyPem);
      expect(serverCheck(config, dir)).toEqual({
        status: 1,
        output: expect.stringMatching(/private key does not match public key/),
      });
    }
  });

  it("pass nats-server -t when they advertise their gateways and stretch routes at latency proxies", () => {
    const proxied: AddressingOf = (plan) =>
      proxiedAddressing(
        loopbackAddressing(plan, DEFAULT_LOCAL_PORTS),
        planRegionNetwork({ prefix: "ngtest", regions: ["west", "central", "east"] }),
      );
    const configs = renderAll(seedTopology(), dir, proxied);
    expect(configs.find((c) => c.server_name === "stretch-2")?.cluster.advertise).toBe("127.77.2.2:6232");
    for (const config of configs) {
      expectAccepted(config, dir);
    }
  });

  it("pass nats-server -t with the account links of several virtual streams in every consistency mode", () => {
    const plan = planSuperCluster(seedTopology());
    const tables = Object.fromEntries(
      (["eventual", "ordered", "immediate", "home"] as const).map((consistency) => [
        consistency,
        planVirtualStream(
          { name: `vs-${consistency}`, consistency, homeRegion: consistency === "home" ? "east" : undefined },
          plan,
        ).links,
      ]),
    );
    const merged = mergeAccountLinks(tables);
    for (const config of renderAll(seedTopology(), dir)) {
      const check = serverCheck(withAccountLinks(config, merged), dir);
      expect({
        server: config.server_name,
        status: check.status,
        output: check.status ? check.output : "",
      }).toEqual({
        server: config.server_name,
        status: 0,
        output: "",
      });
    }
  });

  it("ping every peer each second by default, and pass nats-server -t with liveness's other settings", () => {
    const [config] = renderAll({ regions: [{ name: "solo", servers: 1 }] }, dir);
    expect(config).toMatchObject({ ping_interval: "1s", ping_max: 3 });
    expectAccepted({ ...config, ...pingSettings({ pingInterval: "1500ms", pingMax: 2 }) }, dir);
  });

  it("are rejected by nats-server -t when broken, so the check above can fail", () => {
    const [config] = renderAll({ regions: [{ name: "solo", servers: 1 }] }, dir);
    const broken = { ...config, listen: "127.0.0.1:not-a-port" };
    expect(serverCheck(broken, dir).status).not.toBe(0);
  });

  it("name each gateway after its cluster and list every cluster's gateway URLs", () => {
    const configs = renderAll(seedTopology(), dir);
    for (const config of configs) {
      expect(config.gateway.name).toBe(config.cluster.name);
      expect(config.gateway.gateways.map((g) => g.name)).toEqual(["west", "central", "east", "stretch"]);
      expect(config.gateway.gateways.every((g) => g.urls.length === 3)).toBe(true);
    }
  });

  it("route each server to every server of its cluster and to no other", () => {
    const west1 = renderAll(seedTopology(), dir).find((c) => c.server_name === "west-1");
    expect(west1?.cluster.routes).toEqual([
      "nats-route://127.0.0.1:6222",
      "nats-route://127.0.0.1:6223",
      "nats-route://127.0.0.1:6224",
    ]);
  });

  it("spread replicas over distinct zones, which differ between the stretch servers too", () => {
    const configs = renderAll(seedTopology(), dir);
    // The meta leader applies its own unique_tag to every placement: it must be the same everywhere.
    expect(new Set(configs.map((c) => c.jetstream.unique_tag))).toEqual(new Set(["az:"]));
    const stretchZones = configs
      .filter((c) => c.server_tags.includes("stretch"))
      .map((c) => c.server_tags.find((t) => t.startsWith("az:")));
    expect(new Set(stretchZones).size).toBe(3);
  });

  it("give the application account and each region's JetStream, their links and watcher, and name the system account", () => {
    const [config] = renderAll(seedTopology(), dir, undefined, links);
    expectAccepted(config, dir);
    const permissions = {
      publish: {
        allow: ["$JS.API.STREAM.LIST", "$JS.API.STREAM.INFO.*", "$JS.API.STREAM.LEADER.STEPDOWN.*"],
      },
      subscribe: { allow: ["_INBOX.>"] },
    };
    const watcher = (user: string) => ({ user, password: "watcher-password", permissions });
    expect(config.accounts?.APP).toEqual({
      jetstream: "enabled",
      users: [auth.app, watcher("watcher")],
      exports: links.exports,
    });
    expect(config.accounts?.["APP-west"]).toEqual({
      jetstream: "enabled",
      users: [{ user: "app-west", password: "app-password" }, watcher("watcher-west")],
      imports: links.imports["APP-west"],
    });
    expect(config.accounts?.["APP-east"]).toEqual({
      jetstream: "enabled",
      users: [{ user: "app-east", password: "app-password" }, watcher("watcher-east")],
    });
    expect(config.accounts?.stretch).toBeUndefined();
    expect(config.accounts?.SYS).toEqual({ users: [auth.system] });
    expect(config.system_account).toBe("SYS");
  });
});
