import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { Addressing, clientUrl, monitorUrl } from "../../model/endpoints";
import { ServerPlan, SuperClusterPlan } from "../../model/plan";
import { AuthPlan, JetStreamLimits, OperatorAuth, renderServerConfig } from "../../model/serverConfig";
import { ServerTlsPems } from "../../model/security/tls";
import { ProvisionedServers } from "../provisioned";
import { waitHealthy } from "./health";
import { serverFiles } from "./processes";
import { MappedServer } from "./mappingsProvider";
import { LocalServer } from "./serverProvider";
import { tlsFilePaths } from "./tlsFiles";

export interface LocalClusterArgs {
  plan: SuperClusterPlan;
  /** The servers of one cluster that run on this machine. */
  servers: ServerPlan[];
  /** Where every server of the plan listens: on loopback, or on its region's namespace address. */
  addressing: Addressing;
  /** Argv a server runs under (its region's namespace), if any. */
  launcher?: (server: ServerPlan) => string[];
  auth: pulumi.Input<AuthPlan | OperatorAuth>;
  /** With TLS on: by server name, its CA, certificate and key. */
  tls?: Map<string, pulumi.Output<ServerTlsPems>>;
  /** The stack's data directory (absolute); each server gets a folder in it. */
  dataDir: pulumi.Input<string>;
  natsServerBinary: string;
  limits?: JetStreamLimits;
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
  /** Where account mappings go, once the servers are up. */
  readonly mappedServers: pulumi.Output<MappedServer[]>;

  constructor(name: string, args: LocalClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nats-global:local:Cluster", name, {}, opts);
    const addressing = args.addressing;
    const servers = args.servers.map((server) => {
      const endpoint = addressing(server);
      const dir = pulumi.output(args.dataDir).apply((root) => path.join(root, server.name));
      const config = pulumi.all([args.auth, dir]).apply(([auth, serverDir]) => {
        const files = serverFiles(serverDir);
        return renderServerConfig(server, {
          plan: args.plan,
          addressing,
          files: {
            storeDir: files.storeDir,
            logFile: files.logFile,
            ...(args.tls !== undefined ? { tls: tlsFilePaths(serverDir) } : {}),
          },
          auth,
          limits: args.limits,
        });
      });
      return new LocalServer(
        `${name}-${server.name}`,
        {
          serverName: server.name,
          binary: args.natsServerBinary,
          dir,
          config,
          monitorUrl: monitorUrl(endpoint, args.tls !== undefined),
          startTimeoutMs: args.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
          launcher: args.launcher?.(server),
          tls: args.tls?.get(server.name),
        },
        { parent: this },
      );
    });
    const monitorUrls = args.servers.map((s) => monitorUrl(addressing(s), args.tls !== undefined));
    const healthy = pulumi.all(servers.map((s) => s.id)).apply(async () => {
      // Ready means usable: JetStream has a meta leader, which needs the other clusters up as well.
      if (!pulumi.runtime.isDryRun())
        await waitHealthy(monitorUrls, args.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);
    });
    this.clientUrls = healthy.apply(() => args.servers.map((s) => clientUrl(addressing(s))));
    this.monitorUrls = healthy.apply(() => monitorUrls);
    this.incarnations = pulumi.all(servers.map((s) => pulumi.interpolate`${s.serverName}:${s.pid}`));
    this.mappedServers = pulumi
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
