import * as pulumi from "@pulumi/pulumi";
import { GeneratedPassword } from "./credentials/generatedPassword";
import { allServers, planSuperCluster, ServerPlan, SuperClusterPlan } from "./model/plan";
import { Addressing, loopbackAddressing } from "./model/endpoints";
import { Duration } from "./model/durations";
import { latencyMilliseconds, planLatencyProxies, proxiedAddressing } from "./model/latencyProxy";
import { LatencyProxy } from "./platforms/local/latencyProxyProvider";
import {
  networkIdentity,
  planRegionNetwork,
  regionAddressing,
  regionLink,
  RegionNetworkPlan,
} from "./model/regionNetwork";
import { namespaceLauncher } from "./platforms/local/regionNetwork";
import { RegionNetwork } from "./platforms/local/regionNetworkProvider";
import { AuthPlan, DEFAULT_JETSTREAM_LIMITS, JetStreamLimits, OperatorAuth } from "./model/serverConfig";
import { TierLimits } from "./model/security/claims";
import { OperatorAccount } from "./operatorAccount";
import { UserPermissions } from "./model/security/permissions";
import { createOperatorIdentity } from "./credentials/operatorIdentity";
import type { AppCredentials } from "./jetstream/clientAuth";
import { TopologySpec } from "./model/topology";
import { problemList } from "./model/validation";
import { planned } from "./specErrors";
import type { ConnectionSpec } from "./jetstream/connection";
import { MappingTable } from "./model/mappings";
import {
  DEFAULT_START_TIMEOUT_MS,
  LocalCluster,
  resolveBinary,
  resolveNatsServerBinary,
} from "./platforms/local/localCluster";
import { AccountMappings } from "./platforms/local/mappingsProvider";
import { Stream, StreamArgs } from "./jetstream/stream";
import { subjectsOverlap } from "./model/subjects";
import { DataDir } from "./platforms/local/dataDirProvider";
import { createServerTls, ServerTls, TlsArgs } from "./serverTls";

export interface CredentialsArgs {
  user?: string;
  /** Generated and kept in state when left out. Always treated as a secret. */
  password?: pulumi.Input<string>;
}

export interface LocalPlatformArgs {
  /** Absolute directory for the config, store and log of every local server of this stack. */
  dataDir: string;
  /**
   * `loopback` (default): every server on 127.0.0.1. `namespaces`: each region in a network
   * namespace of its own, on its own 127.x address, so that `partition` cuts real links; needs root.
   */
  network?: "loopback" | "namespaces";
  /** `namespaces` only: the second octet of the stack's 127.<octet>.0.0/16 (default from dataDir). */
  networkOctet?: number;
  /**
   * `namespaces` only: a delay added to each direction of every link between regions (gateways and
   * the stretch cluster's routes), e.g. "40ms", by a proxy (toxiproxy) in each region's namespace.
   */
  latency?: Duration;
  /** Default: `TOXIPROXY_BIN`, the project's `.tools/bin/toxiproxy-server`, then PATH. */
  toxiproxyBinary?: string;
  /** Default: `NATS_SERVER_BIN`, the project's `.tools/bin/nats-server`, then PATH. */
  natsServerBinary?: string;
  startTimeoutMs?: number;
}

/** How clients prove who they are and what accounts exist. */
export interface SecurityArgs {
  /**
   * `static` (default): two accounts with one password user each, in every server's config.
   * `operator`: an operator, accounts and users as NKeys and signed JWTs; servers resolve accounts
   * themselves (`full` resolver), and mappings change by pushing the account JWT over NATS.
   */
  mode?: "static" | "operator";
  /**
   * Operator mode: the application account's JetStream limits per replica tier (`R1`, `R3`, ...):
   * memoryStore and fileStore in bytes, streams, consumers; unlimited when left out.
   */
  accountLimits?: Record<string, TierLimits>;
  /**
   * TLS on client, route and gateway links, with certificates from a CA of the stack's or yours.
   * On by default in operator mode, off in static mode; `false` turns it off.
   */
  tls?: TlsArgs | false;
}

export interface SuperClusterArgs extends TopologySpec {
  /** Static mode: users of the application account (JetStream enabled) and of the system account. */
  auth?: { app?: CredentialsArgs; system?: CredentialsArgs };
  security?: SecurityArgs;
  /** Required when any server runs on the `local` platform. */
  local?: LocalPlatformArgs;
  jetstream?: Partial<JetStreamLimits>;
}

/** Per cluster, what an application or operator needs to reach it. */
export interface ClusterInfo {
  clientUrls: string[];
  monitorUrls: string[];
  region?: string;
  stretch: boolean;
}

const IMPLEMENTED_PLATFORMS = ["local"];

/**
 * `nats-global:index:SuperCluster`: a NATS cluster per region, an optional stretch cluster with one
 * server in each of several regions, all joined by gateways into one JetStream super-cluster.
 */
export class SuperCluster extends pulumi.ComponentResource {
  readonly plan: SuperClusterPlan;
  readonly clusters: pulumi.Output<Record<string, ClusterInfo>>;
  /** Per server, a value that changes whenever it restarts: what resumes stalled sources. */
  readonly incarnations: pulumi.Output<string[]>;
  /** The region namespaces of the local servers, with `local.network: "namespaces"`. */
  readonly network: RegionNetworkPlan | undefined;
  /**
   * How the stack's own resources connect to the application account, a secret: the static mode's
   * user and password, or in operator mode an unrestricted user's `.creds`.
   */
  readonly appCredentials: pulumi.Output<AppCredentials>;
  /** With TLS on: the CA certificate (PEM, public) that clients verify the servers against. */
  readonly tlsCa: pulumi.Output<string> | undefined;
  /** Operator mode: the application account, as the program changes it. */
  private readonly account: OperatorAccount | undefined;
  private readonly localClusters: LocalCluster[];
  /**
   * Deleted exactly when every server and its store go: the streams and mappings on those servers
   * are deleted with it, without a call to servers that may be down (`deletedWith`).
   */
  private readonly servingData: pulumi.Resource | undefined;
  private readonly binary: string;
  private readonly claimed: { owner: string; subjects: string[] }[] = [];

  constructor(name: string, args: SuperClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nats-global:index:SuperCluster", name, {}, opts);
    this.plan = planned(() => planSuperCluster(args));
    planned(() => checkPlatforms(args));

    const operator =
      args.security?.mode === "operator"
        ? createOperatorIdentity(name, args.security.accountLimits ?? {}, this)
        : undefined;
    const staticAuth = operator === undefined ? this.authPlan(name, args) : undefined;
    const auth: pulumi.Output<AuthPlan | OperatorAuth> =
      operator?.auth ?? (staticAuth as pulumi.Output<AuthPlan>);
    const dataDir = args.local
      ? new DataDir(`${name}-data`, { path: args.local.dataDir }, { parent: this })
      : undefined;
    const binary = args.local?.natsServerBinary ?? (dataDir ? resolveNatsServerBinary() : "");
    const limits = { ...DEFAULT_JETSTREAM_LIMITS, ...(args.jetstream ?? {}) };

    this.binary = binary;
    this.servingData = dataDir;
    const local = args.local;
    const network =
      local?.network === "namespaces" ? planned(() => planLocalNetwork(this.plan, local)) : undefined;
    this.network = network;
    const networkResource =
      network &&
      new RegionNetwork(`${name}-network`, { plan: network }, { parent: this, dependsOn: dataDir });
    const latencyMs =
      local?.latency === undefined
        ? undefined
        : planned(() => latencyMilliseconds(local.latency as Duration, "local.latency"));
    const addressing = !network
      ? loopbackAddressing(this.plan)
      : latencyMs === undefined
        ? regionAddressing(this.plan, network)
        : proxiedAddressing(this.plan, network);
    const proxies =
      network && latencyMs !== undefined
        ? this.latencyProxies(name, network, latencyMs, local as LocalPlatformArgs, {
            dataDir: (dataDir as DataDir).path,
            dependsOn: networkResource,
          })
        : [];
    const tls = this.serverTls(name, args, addressing);
    this.tlsCa = tls?.caPem;
    const presented: pulumi.Output<AppCredentials> =
      operator?.adminCreds.apply((creds) => ({ creds })) ??
      (staticAuth as pulumi.Output<AuthPlan>).apply((a) => a.app);
    this.appCredentials = pulumi.secret(
      pulumi
        .all([presented, this.tlsCa])
        .apply(([who, ca]) => ({ ...who, ...(ca !== undefined ? { ca } : {}) })),
    );
    const launcher =
      network && ((server: ServerPlan) => namespaceLauncher(regionLink(network, server.region).namespace));
    this.localClusters = this.plan.clusters.map(
      (cluster) =>
        new LocalCluster(
          `${name}-${cluster.name}`,
          {
            plan: this.plan,
            servers: cluster.servers,
            addressing,
            launcher,
            auth,
            tls: tls?.pems,
            dataDir: (dataDir as DataDir).path,
            natsServerBinary: binary,
            limits,
            startTimeoutMs: args.local?.startTimeoutMs,
          },
          {
            parent: this,
            dependsOn: [dataDir, networkResource, ...proxies].filter((r) => r !== undefined),
          },
        ),
    );
    this.clusters = pulumi
      .all(this.localClusters.map((servers) => pulumi.all([servers.clientUrls, servers.monitorUrls])))
      .apply((urls) =>
        Object.fromEntries(
          this.plan.clusters.map((cluster, i) => [
            cluster.name,
            {
              clientUrls: urls[i][0],
              monitorUrls: urls[i][1],
              ...(cluster.region !== undefined ? { region: cluster.region } : {}),
              stretch: cluster.stretch,
            },
          ]),
        ),
      );
    if (operator !== undefined) {
      this.account = new OperatorAccount(operator, {
        reach: pulumi.all([this.clusters, this.tlsCa]).apply(([clusters, ca]) => ({
          servers: Object.values(clusters).flatMap((info) => info.clientUrls),
          ...(ca !== undefined ? { tls: { ca } } : {}),
        })),
        serverCount: allServers(this.plan).length,
        dependsOn: this.localClusters,
        resident: this.residentOptions(),
      });
      this.account.limits(`${name}-app-limits`, args.security?.accountLimits ?? {}, this);
    }
    this.incarnations = pulumi
      .all(this.localClusters.map((c) => c.incarnations))
      .apply((lists) => lists.flat());
    this.registerOutputs({ clusters: this.clusters, appCredentials: this.appCredentials });
  }

  /**
   * Records that `owner` stores `subjects` in the application account; fails, naming both owners,
   * when another stream of this program already claimed an overlapping subject.
   */
  claimSubjects(owner: string, subjects: string[]): void {
    const problems = problemList();
    for (const other of this.claimed) {
      for (const mine of subjects) {
        const clash = other.subjects.find((theirs) => subjectsOverlap(mine, theirs));
        if (clash !== undefined) {
          problems.add(
            "subjects",
            `${owner}'s "${mine}" overlaps ${other.owner}'s "${clash}" in the same account`,
          );
        }
      }
    }
    problems.throwIfAny(owner);
    this.claimed.push({ owner, subjects });
  }

  /** A Stream reached through `cluster`, whose subjects are checked against this program's other streams. */
  stream(
    name: string,
    cluster: string,
    args: Omit<StreamArgs, "connection">,
    opts?: pulumi.CustomResourceOptions,
  ): Stream {
    // Subjects known only later (Outputs) cannot be checked here; the server still refuses overlaps.
    const subjects = Array.isArray(args.subjects)
      ? args.subjects.filter((s): s is string => typeof s === "string")
      : [];
    planned(() => this.claimSubjects(`stream "${args.name ?? name}"`, subjects));
    return new Stream(
      name,
      { ...args, connection: this.connection(cluster) },
      { dependsOn: [this], ...this.residentOptions(), ...opts },
    );
  }

  /** Options for a resource that lives on these servers: it goes when they go. */
  residentOptions(): Pick<pulumi.CustomResourceOptions, "deletedWith"> {
    return { deletedWith: this.servingData };
  }

  /** How a client reaches JetStream through `cluster`, as the application account's user. */
  connection(cluster: string): pulumi.Output<ConnectionSpec> {
    return pulumi.all([this.clusters, this.appCredentials]).apply(([clusters, app]) => ({
      servers: clusters[cluster].clientUrls,
      ...("creds" in app ? { credentials: app.creds } : { user: app.user, password: app.password }),
      ...(app.ca !== undefined ? { tls: { ca: app.ca } } : {}),
    }));
  }

  /**
   * Puts one owner's account subject mappings on every server: in operator mode by pushing the
   * account JWT over NATS, in static mode by config reload (no restart either way). Deleting the
   * returned resource takes them away again; other owners' mappings stay.
   */
  applyMappings(
    name: string,
    owner: string,
    mappings: pulumi.Input<MappingTable>,
    opts: { parent?: pulumi.Resource; dependsOn?: pulumi.Resource[] } = {},
  ): pulumi.CustomResource {
    if (this.account !== undefined) return this.account.mappings(name, owner, mappings, opts);
    const servers = pulumi.all(this.localClusters.map((c) => c.mappedServers)).apply((lists) => lists.flat());
    return new AccountMappings(
      name,
      { owner, binary: this.binary, servers, mappings },
      {
        parent: opts.parent,
        dependsOn: [...this.localClusters, ...(opts.dependsOn ?? [])],
        ...this.residentOptions(),
      },
    );
  }

  /** One latency proxy per region, in front of the links that proxiedAddressing advertises. */
  private latencyProxies(
    name: string,
    network: RegionNetworkPlan,
    latencyMs: number,
    local: LocalPlatformArgs,
    where: { dataDir: pulumi.Output<string>; dependsOn: pulumi.Resource | undefined },
  ): LatencyProxy[] {
    const binary = local.toxiproxyBinary ?? resolveBinary("toxiproxy-server", "TOXIPROXY_BIN");
    return planLatencyProxies(this.plan, network, latencyMs).map(
      (plan) =>
        new LatencyProxy(
          `${name}-latency-${plan.region}`,
          {
            plan,
            binary,
            dir: pulumi.interpolate`${where.dataDir}/latency-${plan.region}`,
            startTimeoutMs: local.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
          },
          { parent: this, dependsOn: where.dependsOn },
        ),
    );
  }

  /**
   * Operator mode: a user of the application account with `permissions`, as a `.creds` secret;
   * removing it, or raising `generation`, revokes its key on every server.
   */
  appUser(
    name: string,
    permissions: pulumi.Input<UserPermissions>,
    opts: { parent: pulumi.Resource; generation?: number },
  ): { creds: pulumi.Output<string>; publicKey: pulumi.Output<string> } {
    if (this.account === undefined) {
      throw new pulumi.RunError(
        `user "${name}": users with their own permissions need security.mode "operator" on the super-cluster`,
      );
    }
    return this.account.user(name, permissions, opts);
  }

  /** Certificates for every server, when TLS is on: by default in operator mode. */
  private serverTls(name: string, args: SuperClusterArgs, addressing: Addressing): ServerTls | undefined {
    const tls = args.security?.tls;
    if (tls === false || (tls === undefined && args.security?.mode !== "operator")) return undefined;
    return planned(() => createServerTls(name, tls ?? {}, allServers(this.plan), addressing, this));
  }

  private authPlan(name: string, args: SuperClusterArgs): pulumi.Output<AuthPlan> {
    const credentials = (role: "app" | "system", defaultUser: string) => {
      const given = args.auth?.[role];
      const password =
        given?.password ?? new GeneratedPassword(`${name}-${role}-password`, { parent: this }).result;
      return pulumi
        .all([given?.user ?? defaultUser, password])
        .apply(([user, pw]) => ({ user, password: pw }));
    };
    return pulumi.secret(
      pulumi
        .all([credentials("app", "app"), credentials("system", "system")])
        .apply(([app, system]) => ({ app, system })),
    );
  }
}

function checkPlatforms(args: SuperClusterArgs): void {
  const problems = problemList();
  args.regions.forEach((region, i) => {
    const platform = region.platform ?? "local";
    if (!IMPLEMENTED_PLATFORMS.includes(platform)) {
      problems.add(`regions[${i}].platform`, `platform "${platform}" is not available yet; use "local"`);
    }
  });
  const network = args.local?.network;
  if (network !== undefined && network !== "loopback" && network !== "namespaces") {
    problems.add("local.network", `must be "loopback" or "namespaces" (got ${JSON.stringify(network)})`);
  }
  if (args.local?.latency !== undefined && network !== "namespaces") {
    problems.add(
      "local.latency",
      'delays the links between region namespaces: set local.network to "namespaces", or drop latency',
    );
  }
  if (args.regions.some((r) => (r.platform ?? "local") === "local") && args.local === undefined) {
    problems.add(
      "local.dataDir",
      "local servers need a data directory: set local.dataDir to an absolute path",
    );
  }
  problems.throwIfAny("super-cluster");
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
