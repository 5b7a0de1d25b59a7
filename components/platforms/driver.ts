/*
 * The contract between SuperCluster and a platform (local, k8s, aws, gcp). A platform never renders
 * server config: it says where its servers will be, model/ renders every config from that, and the
 * platform runs the servers of one group from their configs.
 */
import * as pulumi from "@pulumi/pulumi";
import { Endpoint } from "../model/endpoints";
import { AccountLinks } from "../model/regionAccounts";
import { ClusterPlan, ServerPlan } from "../model/plan";
import { NatsServerConfig, ServerFiles } from "../model/serverConfig";
import { ServerTlsPems } from "../model/security/tls";
import { Platform } from "../model/topology";
import { ProvisionedServers } from "./provisioned";
import { RollingOrder } from "./rollingOrder";
import type { WatcherConfig } from "../jetstream/sourceWatch";

/** The servers of one cluster on one platform: the unit a platform provisions. */
export interface ServerGroup {
  cluster: ClusterPlan;
  platform: Platform;
  servers: ServerPlan[];
}

export interface GroupInputs {
  /** By server name, its complete config, rendered by model/ from every platform's endpoints. */
  configs: Map<string, pulumi.Output<NatsServerConfig>>;
  /** With TLS on: by server name, the CA, certificate and key it presents. */
  tls?: Map<string, pulumi.Output<ServerTlsPems>>;
  /**
   * The public IP of every server of the super-cluster, for firewalls that admit only their peers;
   * undefined when some platform cannot tell them before its servers exist.
   */
  peers?: pulumi.Output<string[]>;
  /**
   * The order of the cluster's servers, shared by the platforms it spans: a platform that runs a
   * server per machine makes each machine wait for it (`after`) and reports it back (`done`).
   */
  rolling: RollingOrder;
}

export interface PlatformDriver {
  readonly platform: Platform;
  /**
   * Where a server of this platform is reached, what it binds and what it advertises, before it
   * exists: the other clusters' configs list its gateway from this.
   */
  endpoint(server: ServerPlan): Endpoint;
  /** Where a server of this platform keeps its store, log and TLS files, as its config names them. */
  files(server: ServerPlan, tls: boolean): pulumi.Input<ServerFiles>;
  /** Server name → its static public IP, for platforms that reserve one before the server exists. */
  readonly publicIps?: Map<string, pulumi.Output<string>>;
  /** The resources that run one group's servers from their rendered configs. */
  provision(group: ServerGroup, inputs: GroupInputs): pulumi.ComponentResource & ProvisionedServers;
  /**
   * Where deleting one resource deletes every server with its store (the local data directory):
   * what lives on the servers (streams, account links) is deleted with it, without calls to servers that
   * may be down.
   */
  readonly residentsGoWith?: pulumi.Resource;
  /**
   * Static mode, where servers take accounts from their config (local only): puts one owner's
   * account links on every server, once `provisioned` run them.
   */
  links?(
    name: string,
    owner: string,
    links: pulumi.Input<AccountLinks>,
    opts: { parent?: pulumi.Resource; dependsOn: pulumi.Resource[]; deletedWith?: pulumi.Resource },
  ): pulumi.CustomResource;
  /**
   * Runs a region's source watcher beside its servers (jetstream/watcherMain.ts) with `config`, once
   * `dependsOn` run them; a change of config restarts it.
   */
  sourceWatcher?(
    name: string,
    region: string,
    config: pulumi.Output<WatcherConfig>,
    dependsOn: pulumi.Resource[],
  ): pulumi.Resource;
  /** What the platform adds to the stack's outputs (the local region namespaces). */
  readonly outputs?: Record<string, unknown>;
}

/** The plan's servers grouped by cluster, then by platform, in plan order. */
export function serverGroups(clusters: ClusterPlan[]): ServerGroup[] {
  return clusters.flatMap((cluster) => {
    const platforms = [...new Set(cluster.servers.map((s) => s.platform))];
    return platforms.map((platform) => ({
      cluster,
      platform,
      servers: cluster.servers.filter((s) => s.platform === platform),
    }));
  });
}
