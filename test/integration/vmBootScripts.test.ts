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
import { planRegionNetwork, regionLink } from "../../components/model/regionNetwork";
import { serverAltNames } from "../../components/model/security/tls";
import { renderServerConfig, withLameDuck } from "../../components/model/serverConfig";
import { NATS_SERVER_VERSION } from "../../components/platforms/natsRelease";
import {
  createRegionNetwork,
  destroyRegionNetwork,
  runInNamespace,
} from "../../components/platforms/local/regionNetwork";
import { bootScript } from "../../components/platforms/vm/bootScript";
import { vmEndpoint, vmFiles, vmLayout, VM_PORTS } from "../../components/platforms/vm/layout";
import { AWS_USER_DATA_LIMIT, compressedUserData } from "../../components/platforms/vm/userData";
import { eventually } from "../support/monitor";
import { operatorAuth } from "../support/operatorAuth";
import { tool } from "../support/tools";

/*
 * Each "VM" is a network namespace of its own with its own address, as an EC2 or Compute Engine
 * machine has its own IP; every server uses the standard ports. The boot script runs there as the
 * cloud would run it, with the pinned nats-server offered where the script installs it, so that it
 * skips the download; with no systemd here, it starts the server in the background.
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
}, 60_000);

afterAll(async () => {
  for (const server of servers) {
    const pidFile = vmLayout(path.join(root, server.name), "root").pidFile;
    if (fs.existsSync(pidFile)) {
      try {
        process.kill(Number(fs.readFileSync(pidFile, "utf8")), "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
  await destroyRegionNetwork(network);
  fs.rmSync(root, { recursive: true, force: true });
}, 60_000);

describe("the VM boot script, run in a network namespace per VM", () => {
  it("installs nothing it already has, writes the config and certificates, and starts a server on every VM", async () => {
    const auth = operatorAuth();
    for (const server of servers) {
      const layout = vmLayout(path.join(root, server.name), "root");
      fs.mkdirSync(path.dirname(layout.binary), { recursive: true });
      fs.copyFileSync(tool("nats-server"), layout.binary);
      const endpoint = addressing(server);
      const certificate = await issueServerCertificate(ca, server.name, serverAltNames(endpoint), 3_600_000);
      const config = withLameDuck(
        renderServerConfig(server, {
          plan,
          addressing,
          files: vmFiles(layout, true),
          auth,
          limits: { maxMemoryStore: 64 * 1024 * 1024, maxFileStore: 1024 * 1024 * 1024 },
        }),
      );
      const script = bootScript({
        version: NATS_SERVER_VERSION,
        layout,
        config: JSON.stringify(config, null, 2),
        tls: { ca: ca.certPem, cert: certificate.certPem, key: certificate.keyPem },
      });
      // With real JWTs and certificates, as EC2 user data: within its limit once gzipped.
      expect(compressedUserData(script, server.name).length).toBeLessThan(AWS_USER_DATA_LIMIT);
      const scriptFile = path.join(root, `${server.name}.sh`);
      fs.writeFileSync(scriptFile, script);
      const result = await runInNamespace(
        regionLink(network, server.name).namespace,
        ["bash", scriptFile],
        30_000,
      );
      expect({ server: server.name, code: result.code, output: `${result.stdout}${result.stderr}` }).toEqual({
        server: server.name,
        code: 0,
        output: expect.stringMatching(
          /already installed[\s\S]*no systemd: nats-server started in the background/,
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
});
