import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { Addressing, Endpoint } from "../../model/endpoints";
import { AccountLinks } from "../../model/regionAccounts";
import { ServerPlan, SuperClusterPlan } from "../../model/plan";
import { NatsServerConfig, ServerFiles } from "../../model/serverConfig";
import { planned } from "../../specErrors";
import { GroupInputs, PlatformDriver, ServerGroup } from "../driver";
import { LocalPlatformArgs } from "./args";
import { DataDir } from "./dataDirProvider";
import { latencyMilliseconds, planLatencyProxies, proxiedAddressing } from "./latencyProxyPlan";
import { LatencyProxy } from "./latencyProxyProvider";
import {
  DEFAULT_START_TIMEOUT_MS,
  LocalCluster,
  resolveBinary,
  resolveNatsServerBinary,
} from "./localCluster";
import { AccountLinksResource } from "./accountLinksProvider";
import { SourceWatcher, watcherCommand } from "./sourceWatcherProvider";
import type { WatcherConfig } from "../../jetstream/sourceWatch";
import { localPorts, loopbackAddressing } from "./ports";
import { serverFiles } from "./processes";
import { namespaceLauncher } from "./regionNetwork";
import {
  networkIdentity,
  planRegionNetwork,
  regionAddressing,
  regionLink,
  RegionNetworkPlan,
} from "./regionNetworkPlan";
import { RegionNetwork } from "./regionNetworkProvider";
import { tlsFilePaths } from "./tlsFiles";

/**
 * The `local` platform: servers as processes on this machine, in one data directory, on loopback or
 * in a network namespace per region. Its resources are children of the super-cluster (`parent`).
 */
export class LocalPlatform implements PlatformDriver {
  readonly platform = "local" as const;
  /** The stack's data directory: every local server and its store go with it. */
  readonly residentsGoWith: DataDir;
  /** The region namespaces, with `network: "namespaces"`: what `npm run partition` cuts. */
  readonly outputs: { network?: RegionNetworkPlan };
  private readonly dataDir: DataDir;
  private readonly binary: string;
  private readonly loopback: Addressing;
  private readonly addressing: Addressing;
  private readonly launcher: ((server: ServerPlan) => string[]) | undefined;
  private readonly ready: pulumi.Resource[];
  private readonly clusters: LocalCluster[] = [];
  private readonly network: RegionNetworkPlan | undefined;

  constructor(
    private readonly name: string,
    private readonly args: LocalPlatformArgs,
    private readonly plan: SuperClusterPlan,
    private readonly parent: pulumi.ComponentResource,
  ) {
    // Planned before anything is created: a bad field leaves nothing behind.
    const network = args.network === "namespaces" ? planned(() => planLocalNetwork(plan, args)) : undefined;
    const latencyMs =
      args.latency === undefined
        ? undefined
        : planned(() => latencyMilliseconds(args.latency as string, "local.latency"));
    this.dataDir = new DataDir(`${name}-data`, { path: args.dataDir }, { parent });
    this.residentsGoWith = this.dataDir;
    this.binary = args.natsServerBinary ?? resolveNatsServerBinary();
    this.outputs = network !== undefined ? { network } : {};
    this.network = network;
    const networkResource =
      network && new RegionNetwork(`${name}-network`, { plan: network }, { parent, dependsOn: this.dataDir });
    this.loopback = loopbackAddressing(plan, localPorts(args.ports));
    this.addressing = !network
      ? this.loopback
      : latencyMs === undefined
        ? regionAddressing(this.loopback, network)
        : proxiedAddressing(this.loopback, network);
    const proxies =
      network && latencyMs !== undefined ? this.latencyProxies(network, latencyMs, networkResource) : [];
    this.launcher = network && ((server) => namespaceLauncher(regionLink(network, server.region).namespace));
    this.ready = [this.dataDir, networkResource, ...proxies].filter((r) => r !== undefined);
  }

  endpoint(server: ServerPlan): Endpoint {
    return this.addressing(server);
  }

  files(server: ServerPlan, tls: boolean): pulumi.Output<ServerFiles> {
    return this.serverDir(server).apply((dir) => {
      const layout = serverFiles(dir);
      return {
        storeDir: layout.storeDir,
        logFile: layout.logFile,
        ...(tls ? { tls: tlsFilePaths(dir) } : {}),
      };
    });
  }

  provision(group: ServerGroup, inputs: GroupInputs): LocalCluster {
    const cluster = new LocalCluster(
      `${this.name}-${group.cluster.name}`,
      {
        servers: group.servers.map((server) => ({
          plan: server,
          endpoint: this.addressing(server),
          dir: this.serverDir(server),
          config: inputs.configs.get(server.name) as pulumi.Output<NatsServerConfig>,
          launcher: this.launcher?.(server),
          tls: inputs.tls?.get(server.name),
        })),
        natsServerBinary: this.binary,
        startTimeoutMs: this.args.startTimeoutMs,
      },
      { parent: this.parent, dependsOn: this.ready },
    );
    this.clusters.push(cluster);
    return cluster;
  }

  /** Static mode: the owner's account links in every local server's config, applied by reload. */
  links(
    name: string,
    owner: string,
    links: pulumi.Input<AccountLinks>,
    opts: { parent?: pulumi.Resource; dependsOn: pulumi.Resource[]; deletedWith?: pulumi.Resource },
  ): AccountLinksResource {
    const servers = pulumi.all(this.clusters.map((c) => c.linkedServers)).apply((lists) => lists.flat());
    return new AccountLinksResource(name, { owner, binary: this.binary, servers, links }, opts);
  }

  /** A region's source watcher: a Node.js process in the region's namespace, if it has one. */
  sourceWatcher(
    name: string,
    region: string,
    config: pulumi.Output<WatcherConfig>,
    dependsOn: pulumi.Resource[],
  ): SourceWatcher {
    return new SourceWatcher(
      name,
      {
        command: watcherCommand(),
        launcher: this.network ? namespaceLauncher(regionLink(this.network, region).namespace) : [],
        config,
        dir: pulumi.interpolate`${this.dataDir.path}/watcher-${region}`,
        startTimeoutMs: this.args.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      },
      { parent: this.parent, dependsOn },
    );
  }

  private serverDir(server: ServerPlan): pulumi.Output<string> {
    return this.dataDir.path.apply((root) => path.join(root, server.name));
  }

  /** One latency proxy per region, in front of the links that proxiedAddressing advertises. */
  private latencyProxies(
    network: RegionNetworkPlan,
    latencyMs: number,
    dependsOn: pulumi.Resource | undefined,
  ): LatencyProxy[] {
    const binary = this.args.toxiproxyBinary ?? resolveBinary("toxiproxy-server", "TOXIPROXY_BIN");
    return planLatencyProxies(this.plan, this.loopback, network, latencyMs).map(
      (plan) =>
        new LatencyProxy(
          `${this.name}-latency-${plan.region}`,
          {
            plan,
            binary,
            dir: pulumi.interpolate`${this.dataDir.path}/latency-${plan.region}`,
            startTimeoutMs: this.args.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
          },
          { parent: this.parent, dependsOn },
        ),
    );
  }
}

/** The stack's region namespaces: names and addresses unique to its data directory on this machine. */
function planLocalNetwork(plan: SuperClusterPlan, local: LocalPlatformArgs): RegionNetworkPlan {
  const identity = networkIdentity(local.dataDir);
  return planRegionNetwork({
    prefix: identity.prefix,
    octet: local.networkOctet ?? identity.octet,
    regions: plan.clusters.filter((c) => !c.stretch).map((c) => c.name),
  });
}
