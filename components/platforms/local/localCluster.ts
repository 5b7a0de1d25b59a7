import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { clientUrl, Endpoint, monitorUrl } from "../../model/endpoints";
import { ServerPlan } from "../../model/plan";
import { NatsServerConfig } from "../../model/serverConfig";
import { ServerTlsPems } from "../../model/security/tls";
import { ProvisionedServers } from "../provisioned";
import { waitHealthy } from "./health";
import { LinkedServer } from "./accountLinksProvider";
import { LocalServer } from "./serverProvider";

/** One server of the cluster: what it is, where it is, and what it runs. */
export interface LocalServerSpec {
  plan: ServerPlan;
  endpoint: Endpoint;
  /** Its folder in the stack's data directory. */
  dir: pulumi.Output<string>;
  /** Its complete config, as model/ rendered it. */
  config: pulumi.Output<NatsServerConfig>;
  /** Argv it runs under (its region's namespace), if any. */
  launcher?: string[];
  /** With TLS on: its CA, certificate and key. */
  tls?: pulumi.Output<ServerTlsPems>;
}

export interface LocalClusterArgs {
  /** The servers of one cluster that run on this machine. */
  servers: LocalServerSpec[];
  natsServerBinary: string;
  startTimeoutMs?: number;
  healthTimeoutMs?: number;
}

export const DEFAULT_START_TIMEOUT_MS = 30_000;
const DEFAULT_HEALTH_TIMEOUT_MS = 60_000;

/** `nats-global:local:Cluster`: a cluster's servers as nats-server processes on loopback. */
export class LocalCluster extends pulumi.ComponentResource implements ProvisionedServers {
  readonly clientUrls: pulumi.Output<string[]>;
  readonly monitorUrls: pulumi.Output<string[]>;
  /** Per server, its process: a new value whenever the server (re)starts. */
  readonly incarnations: pulumi.Output<string[]>;
  /** Where account links go, once the servers are up. */
  readonly linkedServers: pulumi.Output<LinkedServer[]>;

  constructor(name: string, args: LocalClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nats-global:local:Cluster", name, {}, opts);
    const monitorUrls = args.servers.map((s) => monitorUrl(s.endpoint, s.tls !== undefined));
    const servers = args.servers.map(
      (server, i) =>
        new LocalServer(
          `${name}-${server.plan.name}`,
          {
            serverName: server.plan.name,
            binary: args.natsServerBinary,
            dir: server.dir,
            config: server.config,
            monitorUrl: monitorUrls[i],
            startTimeoutMs: args.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
            launcher: server.launcher,
            tls: server.tls,
          },
          { parent: this },
        ),
    );
    const healthy = pulumi.all(servers.map((s) => s.id)).apply(async () => {
      // Ready means usable: JetStream has a meta leader, which needs the other clusters up as well.
      if (!pulumi.runtime.isDryRun())
        await waitHealthy(monitorUrls, args.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);
    });
    this.clientUrls = healthy.apply(() => args.servers.map((s) => clientUrl(s.endpoint)));
    this.monitorUrls = healthy.apply(() => monitorUrls);
    this.incarnations = pulumi.all(servers.map((s) => pulumi.interpolate`${s.serverName}:${s.pid}`));
    this.linkedServers = pulumi
      .all(servers.map((s) => s.dir))
      .apply((dirs) => dirs.map((dir, i) => ({ dir, monitorUrl: monitorUrls[i] })));
    this.registerOutputs({ clientUrls: this.clientUrls, monitorUrls: this.monitorUrls });
  }
}

/**
 * A pinned tool to run: the path in `envVar`, else the project's `.tools/bin/<executable>` (what
 * `npm run setup` installs), else the first on PATH.
 */
export function resolveBinary(
  executable: string,
  envVar: string,
  projectDir: string = process.cwd(),
): string {
  const candidates = [
    process.env[envVar],
    path.join(projectDir, ".tools", "bin", executable),
    ...(process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, executable)),
  ];
  const found = candidates.find((c) => c !== undefined && c.length > 0 && fs.existsSync(c));
  if (found === undefined) {
    throw new Error(`${executable} not found: run \`npm run setup\`, or set ${envVar} to its path`);
  }
  return path.resolve(found);
}

export const resolveNatsServerBinary = (projectDir?: string): string =>
  resolveBinary("nats-server", "NATS_SERVER_BIN", projectDir);
