import { spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import {
  createCertificateAuthority,
  issueServerCertificate,
  PemPair,
} from "../../components/credentials/x509";
import { Addressing } from "../../components/model/endpoints";
import { allServers, planSuperCluster } from "../../components/model/plan";
import { planRegionNetwork, regionLink } from "../../components/platforms/local/regionNetworkPlan";
import { serverAltNames } from "../../components/model/security/tls";
import { FILES_DIGEST_KEY, renderServerConfig } from "../../components/model/serverConfig";
import { NATS_SERVER_VERSION } from "../../components/platforms/natsRelease";
import {
  createRegionNetwork,
  destroyRegionNetwork,
  runInNamespace,
} from "../../components/platforms/local/regionNetwork";
import { bootScript } from "../../components/platforms/vm/bootScript";
import { vmEndpoint, vmFiles, vmLayout, VM_PORTS } from "../../components/platforms/vm/layout";
import { ServerFileBundle, serverFileBundle } from "../../components/platforms/vm/serverFiles";
import { AWS_USER_DATA_LIMIT, compressedUserData } from "../../components/platforms/vm/userData";
import { eventually } from "../support/monitor";
import { operatorAuth } from "../support/operatorAuth";
import { killLeftovers } from "../support/platforms/leftovers";
import { SecretsStandIn } from "../support/secretsStandIn";
import { tool } from "../support/tools";

/*
 * Each "VM" is a network namespace of its own with its own address, as an EC2 or Compute Engine
 * machine has its own IP; every server uses the standard ports. The boot script runs there as the
 * cloud would run it, with the pinned nats-server offered where the script installs it, so that it
 * skips the download; with no systemd here, it starts the server in the background. Each server's
 * files come from its secret in a stand-in for EC2's metadata service and Secrets Manager.
 */
const plan = planSuperCluster({
  regions: ["west", "central", "east"].map((name) => ({ name, platform: "aws" as const })),
  stretch: { regions: ["west", "central", "east"] },
});
const servers = allServers(plan);
// Octet 89 and prefix ngvm: apart from every other suite's and stack's namespaces.
const network = planRegionNetwork({ prefix: "ngvm", octet: 89, regions: servers.map((s) => s.name) });
const addressOf = (server: string) => regionLink(network, server).address;
const addressing: Addressing = (server) =>
  vmEndpoint(server, { publicHost: addressOf(server.name), privateIp: addressOf(server.name) });
let root: string;
let ca: PemPair;
const auth = operatorAuth();
/** How often each VM's agent checks its secret here. */
const POLL_SECONDS = 2;
// Each VM's role is the one of the machine its request comes from.
const secrets = new SecretsStandIn(network.root.address, 13289, (address) => {
  const server = servers.find((s) => addressOf(s.name) === address);
  return server && `role-${server.name}`;
});

function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca: ca.certPem, timeout: 2000 }, (response) => {
      let body = "";
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => {
        try {
          resolve(JSON.parse(body) as T);
        } catch (e) {
          reject(e);
        }
      });
    });
    request.on("timeout", () => request.destroy(new Error(`${url}: timeout`)));
    request.on("error", reject);
  });
}
const monitorOf = (server: string) => `https://${addressOf(server)}:${VM_PORTS.monitor}`;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-vm-"));
  await createRegionNetwork(network);
  ca = await createCertificateAuthority("vm test CA", 3_600_000);
  await secrets.start();
}, 60_000);

afterAll(async () => {
  // Every VM's server and agent loop: all that runs in its namespace, again until none is left,
  // since an agent run may start a process between the listing and the kill.
  const running = () =>
    servers.flatMap((server) =>
      spawnSync("ip", ["netns", "pids", regionLink(network, server.name).namespace], { encoding: "utf8" })
        .stdout.split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
  await eventually(
    "every VM's processes gone",
    async () => {
      const pids = running();
      if (pids.length === 0) return true;
      await killLeftovers("the VMs' processes", pids);
      return undefined;
    },
    30_000,
  );
  await secrets.stop();
  await destroyRegionNetwork(network);
  fs.rmSync(root, { recursive: true, force: true });
}, 60_000);

/** Each server's secret in the stand-in: what its machine's role alone may read. */
const secretOf = (server: string) => `arn:aws:secretsmanager:us-west-2:123456789012:secret:${server}-files`;
const layoutOf = (server: string) => vmLayout(path.join(root, server), "root");
const MEMORY_STORE = 64 * 1024 * 1024;

async function serverBundle(
  server: (typeof servers)[number],
  options: { maxMemoryStore: number; certificateMs: number },
): Promise<ServerFileBundle> {
  const layout = layoutOf(server.name);
  const endpoint = addressing(server);
  const certificate = await issueServerCertificate(
    ca,
    server.name,
    serverAltNames(endpoint),
    options.certificateMs,
  );
  const config = renderServerConfig(server, {
    plan,
    addressing,
    files: vmFiles(layout, true),
    auth,
    limits: { maxMemoryStore: options.maxMemoryStore, maxFileStore: 1024 * 1024 * 1024 },
  });
  return serverFileBundle(
    server.name,
    config,
    { caPem: ca.certPem, certPem: certificate.certPem, keyPem: certificate.keyPem },
    layout,
  );
}

/** What a server reports in its varz: the files it runs, when its certificate expires. */
const varzOf = (server: string) =>
  getJson<{ metadata?: Record<string, string>; tls_cert_not_after?: string }>(
    `${monitorOf(server)}/varz`,
  ).catch(() => ({}) as { metadata?: Record<string, string>; tls_cert_not_after?: string });
const pidOf = (server: string) => fs.readFileSync(layoutOf(server).pidFile, "utf8").trim();

describe("the VM boot script, run in a network namespace per VM", () => {
  it("installs nothing it already has, fetches the config and certificates from the server's secret, and starts a server on every VM", async () => {
    for (const server of servers) {
      const layout = layoutOf(server.name);
      fs.mkdirSync(path.dirname(layout.binary), { recursive: true });
      fs.copyFileSync(tool("nats-server"), layout.binary);
      const bundle = await serverBundle(server, { maxMemoryStore: MEMORY_STORE, certificateMs: 3_600_000 });
      secrets.secrets.set(secretOf(server.name), JSON.stringify(bundle));
      secrets.readers.set(secretOf(server.name), `role-${server.name}`);
      const script = bootScript({
        version: NATS_SERVER_VERSION,
        layout,
        source: { cloud: "aws", secret: secretOf(server.name), region: "us-west-2" },
        monitor: `https://127.0.0.1:${VM_PORTS.monitor}`,
        tls: true,
        pollSeconds: POLL_SECONDS,
      });
      // As EC2 user data: within its limit once gzipped, and no key in it.
      expect(compressedUserData(script, server.name).length).toBeLessThan(AWS_USER_DATA_LIMIT);
      expect(script).not.toContain("PRIVATE KEY");
      const scriptFile = path.join(root, `${server.name}.sh`);
      fs.writeFileSync(scriptFile, script);
      const environment = Object.entries(secrets.environment).map(([k, v]) => `${k}=${v}`);
      const result = await runInNamespace(
        regionLink(network, server.name).namespace,
        ["env", ...environment, "bash", scriptFile],
        30_000,
      );
      expect({ server: server.name, code: result.code, output: `${result.stdout}${result.stderr}` }).toEqual({
        server: server.name,
        code: 0,
        output: expect.stringMatching(
          /already installed[\s\S]*wrote .*server-key.pem[\s\S]*no systemd: nats-server started in the background/,
        ),
      });
      expect(fs.statSync(`${layout.configDir}/server-key.pem`).mode & 0o777).toBe(0o600);
      // GOMEMLIMIT at 90% of the machine's memory, in the server's own environment.
      const pid = await eventually("the server's pid file", async () =>
        fs.existsSync(layout.pidFile) ? fs.readFileSync(layout.pidFile, "utf8").trim() : undefined,
      );
      const memTotalKiB = Number(/^MemTotal:\s+(\d+)/m.exec(fs.readFileSync("/proc/meminfo", "utf8"))?.[1]);
      expect(fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")).toContain(
        `GOMEMLIMIT=${Math.floor((memTotalKiB * 0.9) / 1024)}MiB`,
      );
    }
    expect(secrets.refusals).toEqual([]);
  }, 120_000);

  it("forms a healthy super-cluster, each server's routes and gateways on the addresses the platform planned", async () => {
    await eventually(
      "every VM's server healthy (a JetStream meta leader over all 12)",
      async () => {
        const health = await Promise.all(
          servers.map((s) =>
            getJson<{ status: string }>(`${monitorOf(s.name)}/healthz`).catch(() => ({ status: "down" })),
          ),
        );
        return health.every((h) => h.status === "ok") ? true : undefined;
      },
      90_000,
    );
    for (const server of servers) {
      const gatewayz = await getJson<{
        outbound_gateways: Record<string, { connection: { ip: string; port: number } }>;
      }>(`${monitorOf(server.name)}/gatewayz`);
      const others = plan.clusters.filter((c) => c.name !== server.cluster);
      for (const cluster of others) {
        const connection = gatewayz.outbound_gateways[cluster.name]?.connection;
        const planned = cluster.servers.map((s) => addressOf(s.name));
        // Outbound to one of that cluster's planned addresses, never to anything it gossiped otherwise.
        expect({
          server: server.name,
          to: cluster.name,
          planned: planned.includes(connection?.ip ?? ""),
        }).toEqual({
          server: server.name,
          to: cluster.name,
          planned: true,
        });
        expect(connection?.port).toBe(VM_PORTS.gateway);
      }
      const routez = await getJson<{ routes: { remote_name: string; ip: string }[] }>(
        `${monitorOf(server.name)}/routez`,
      );
      const mates = plan.clusters.find((c) => c.name === server.cluster)!.servers.filter((s) => s !== server);
      expect(new Set(routez.routes.map((r) => r.remote_name))).toEqual(new Set(mates.map((s) => s.name)));
      for (const route of routez.routes) expect(route.ip).toBe(addressOf(route.remote_name));
    }
  }, 120_000);

  it("takes a new certificate by reload, and a change nats-server cannot reload by a restart, from the secret alone", async () => {
    const [renewed, changed] = ["west-1", "west-2"].map((name) => servers.find((s) => s.name === name)!);
    const before = { renewed: pidOf(renewed.name), changed: pidOf(changed.name) };
    const notAfter = (await varzOf(renewed.name)).tls_cert_not_after;
    const renewal = await serverBundle(renewed, { maxMemoryStore: MEMORY_STORE, certificateMs: 7_200_000 });
    // nats-server reloads no smaller JetStream memory limit (server/reload.go): this takes a restart.
    const shrunk = await serverBundle(changed, {
      maxMemoryStore: MEMORY_STORE / 2,
      certificateMs: 3_600_000,
    });
    secrets.secrets.set(secretOf(renewed.name), JSON.stringify(renewal));
    secrets.secrets.set(secretOf(changed.name), JSON.stringify(shrunk));
    await eventually(
      "west-1 serving its new certificate, reloaded",
      async () => {
        const varz = await varzOf(renewed.name);
        return varz.metadata?.[FILES_DIGEST_KEY] === renewal.digest ? varz : undefined;
      },
      30_000,
    ).then((varz) => expect(varz.tls_cert_not_after).not.toBe(notAfter));
    expect(pidOf(renewed.name)).toBe(before.renewed);
    await eventually(
      "west-2 running its new config, restarted",
      async () =>
        (await varzOf(changed.name)).metadata?.[FILES_DIGEST_KEY] === shrunk.digest ? true : undefined,
      90_000,
    );
    expect(pidOf(changed.name)).not.toBe(before.changed);
    const agentLog = path.join(layoutOf(changed.name).dataDir, "nats-server-files.log");
    await eventually(
      "the agent's account of the restart",
      async () =>
        /refused to reload them[\s\S]*restarted with files/.test(fs.readFileSync(agentLog, "utf8"))
          ? true
          : undefined,
      10_000,
    );
    expect(secrets.refusals).toEqual([]);
  }, 150_000);
});
