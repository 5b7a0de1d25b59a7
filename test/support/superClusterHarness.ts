import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Addressing, clientUrl, monitorUrl } from "../../components/model/endpoints";
import { allServers, planSuperCluster, ServerPlan, SuperClusterPlan } from "../../components/model/plan";
import {
  AuthPlan,
  NatsServerConfig,
  UserCredentials,
  renderServerConfig,
} from "../../components/model/serverConfig";
import { PortBases, TopologySpec } from "../../components/model/topology";
import { waitHealthy } from "../../components/platforms/local/health";
import { writeFinalConfig } from "../../components/platforms/local/configFiles";
import {
  reloadServer,
  serverFiles,
  startServer,
  stopServer,
} from "../../components/platforms/local/processes";
import { seedTopology } from "./topologies";
import { loopbackAddressing } from "../../components/platforms/local/ports";
import { tool } from "./tools";

export const TEST_AUTH: AuthPlan = {
  app: { user: "app", password: "harness-app-password" },
  system: { user: "system", password: "harness-system-password" },
  watcher: { user: "watcher", password: "harness-watcher-password" },
};

interface Running {
  server: ServerPlan;
  dir: string;
}

/**
 * A super-cluster for tests, started with the same model and process code as the local platform,
 * without Pulumi: 12 servers of the seed's topology come up in a few seconds. Give it port bases
 * below 32768, outside the ephemeral range that outgoing connections draw from.
 */
export class SuperClusterHarness {
  readonly plan: SuperClusterPlan;
  /** Where each server listens: loopback, on the given port bases. */
  readonly addressing: Addressing;
  readonly root: string;
  private readonly running = new Map<string, Running>();

  constructor(ports: PortBases, spec: TopologySpec = seedTopology()) {
    this.plan = planSuperCluster(spec);
    this.addressing = loopbackAddressing(this.plan, ports);
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-harness-"));
  }

  private endpoint(server: ServerPlan) {
    return this.addressing(server);
  }

  clientUrls(cluster: string): string[] {
    const plan = this.plan.clusters.find((c) => c.name === cluster);
    if (plan === undefined) throw new Error(`no cluster ${cluster}`);
    return plan.servers.map((s) => clientUrl(this.endpoint(s)));
  }

  /** The connection a Stream resource needs to reach `cluster`. */
  connection(cluster: string, who: UserCredentials = TEST_AUTH.app) {
    return { servers: this.clientUrls(cluster), user: who.user, password: who.password };
  }

  /** Every running server's folder and monitoring URL, as the AccountLinks resource takes them. */
  runningServers(): { dir: string; monitorUrl: string }[] {
    return [...this.running.values()].map((r) => ({
      dir: r.dir,
      monitorUrl: monitorUrl(this.endpoint(r.server)),
    }));
  }

  monitorUrls(): string[] {
    return allServers(this.plan).map((s) => monitorUrl(this.endpoint(s)));
  }

  /**
   * Starts the servers, with `metadata` in their config if given; if any fails, stops the ones that
   * started and throws its error.
   */
  async startServers(servers: ServerPlan[], metadata?: Record<string, string>): Promise<void> {
    const results = await Promise.allSettled(
      servers.map(async (server) => {
        const dir = path.join(this.root, server.name);
        await startServer({
          binary: tool("nats-server"),
          dir,
          config: this.configOf(server, metadata),
          monitorUrl: monitorUrl(this.endpoint(server)),
          timeoutMs: 20_000,
        });
        this.running.set(server.name, { server, dir });
      }),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure !== undefined) {
      await this.stopClusters(...new Set(servers.map((s) => s.cluster)));
      throw failure.reason;
    }
  }

  /** Makes a running server reload its config with `metadata` in it, as a config reloader would. */
  async reloadServer(server: ServerPlan, metadata: Record<string, string>): Promise<void> {
    const dir = path.join(this.root, server.name);
    writeFinalConfig(tool("nats-server"), dir, this.configOf(server, metadata));
    await reloadServer(dir, monitorUrl(this.endpoint(server)), 10_000);
  }

  private configOf(server: ServerPlan, metadata?: Record<string, string>): NatsServerConfig {
    const files = serverFiles(path.join(this.root, server.name));
    const config = renderServerConfig(server, {
      plan: this.plan,
      addressing: this.addressing,
      files: { storeDir: files.storeDir, logFile: files.logFile },
      auth: TEST_AUTH,
    });
    return metadata !== undefined ? { ...config, server_metadata: metadata } : config;
  }

  async start(): Promise<void> {
    await this.startServers(allServers(this.plan));
    await waitHealthy(this.monitorUrls(), 60_000);
  }

  /** Stops every server of the given clusters (a region down, or isolated). */
  async stopClusters(...clusters: string[]): Promise<ServerPlan[]> {
    const victims = [...this.running.values()].filter((r) => clusters.includes(r.server.cluster));
    await Promise.all(victims.map((r) => stopServer(r.dir, 5000)));
    victims.forEach((r) => this.running.delete(r.server.name));
    return victims.map((r) => r.server);
  }

  /** Stops the named servers (machines replaced, say); startServers brings them back. */
  async stopServers(...names: string[]): Promise<ServerPlan[]> {
    const victims = names.map((name) => this.running.get(name)).filter((r): r is Running => r !== undefined);
    await Promise.all(victims.map((r) => stopServer(r.dir, 5000)));
    victims.forEach((r) => this.running.delete(r.server.name));
    return victims.map((r) => r.server);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => stopServer(r.dir, 5000)));
    this.running.clear();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
