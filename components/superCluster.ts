import * as pulumi from "@pulumi/pulumi";
import { GeneratedPassword } from "./credentials/generatedPassword";
import { allServers, ClusterPlan, planSuperCluster, ServerPlan, SuperClusterPlan } from "./model/plan";
import { planWatchers } from "./model/watchers";
import { DEFAULT_PROGRESS_RULES } from "./model/sourceProgress";
import { DEFAULT_WATCH_INTERVAL_MS, WatcherConfig } from "./jetstream/sourceWatch";
import { Addressing, clientUrl } from "./model/endpoints";
import {
  AuthPlan,
  regionUser,
  watcherUser,
  WATCHER_USER,
  checkStaticUsers,
  serverJetStreamLimits,
  JetStreamLimits,
  NatsServerConfig,
  OperatorAuth,
  renderServerConfig,
} from "./model/serverConfig";
import { TierLimits } from "./model/security/claims";
import { OperatorAccount } from "./operatorAccount";
import { UserPermissions } from "./model/security/permissions";
import { createOperatorIdentity } from "./credentials/operatorIdentity";
import { AppCredentials, connectionCredentials } from "./jetstream/clientAuth";
import { TopologySpec } from "./model/topology";
import { problemList } from "./model/validation";
import { planned } from "./specErrors";
import type { ConnectionSpec } from "./jetstream/connection";
import { APP_ACCOUNT, regionAccount } from "./model/accounts";
import { AccountLinks } from "./model/regionAccounts";
import { jwtExports, jwtImports } from "./model/security/claims";
import { Stream, StreamArgs } from "./jetstream/stream";
import { subjectsOverlap } from "./model/subjects";
import { createServerTls, ServerTls, TlsArgs } from "./serverTls";
import { PlatformDriver, serverGroups } from "./platforms/driver";
import { RollingOrder } from "./platforms/rollingOrder";
import { Duration } from "./model/durations";
import { checkLiveness, LivenessSpec } from "./model/liveness";
import { rollingTimeoutMs } from "./platforms/rollingTimeout";
import { ProvisionedServers } from "./platforms/provisioned";
import { checkPlatforms } from "./platforms/checks";
import type { LocalPlatformArgs } from "./platforms/local/args";
import { platformDrivers, RegionArgs, storeVolumeBytes } from "./platforms/registry";

export interface CredentialsArgs {
  user?: string;
  /** Generated and kept in state when left out. Always treated as a secret. */
  password?: pulumi.Input<string>;
}

/** How clients prove who they are and what accounts exist. */
export interface SecurityArgs {
  /**
   * `static` (default): the accounts with one password user each, in every server's config.
   * `operator`: an operator, accounts and users as NKeys and signed JWTs; servers resolve accounts
   * themselves (`full` resolver), and exports and imports change by pushing account JWTs over NATS.
   */
  mode?: "static" | "operator";
  /**
   * Operator mode: the JetStream limits per replica tier (`R1`, `R3`, ...) of the application
   * account and of each region's account: memoryStore and fileStore in bytes, streams, consumers;
   * unlimited when left out.
   */
  accountLimits?: Record<string, TierLimits>;
  /**
   * TLS on client, route and gateway links, with certificates from a CA of the stack's or yours.
   * On by default in operator mode, off in static mode; `false` turns it off.
   */
  tls?: TlsArgs | false;
}

export interface SuperClusterArgs extends TopologySpec {
  /** The regions, each with the args of its platform (`k8s` for Kubernetes). */
  regions: RegionArgs[];
  /**
   * Static mode: users of the application account (JetStream enabled) and of the system account.
   * Each region's account has a user `<app user>-<region>` with the application user's password.
   */
  auth?: { app?: CredentialsArgs; system?: CredentialsArgs };
  security?: SecurityArgs;
  /** Required when any server runs on the `local` platform. */
  local?: LocalPlatformArgs;
  /**
   * Each server's JetStream storage limits in bytes (default 256 MiB in memory; on disk 90% of its
   * volume on k8s, aws and gcp, where a larger value is refused at preview, else 8 GiB).
   */
  jetstream?: Partial<JetStreamLimits>;
  /**
   * How long a change (new files, a new machine, a restart on Kubernetes) waits for each server to
   * be back, healthy and caught up before `up` stops (default "15m", 10m to 24h): longer where
   * servers hold much to catch up on.
   */
  rollingTimeout?: Duration;
  /**
   * How soon servers give up on a silent peer (a cut link, a machine gone): `pingInterval`
   * (default "1s") and `pingMax` (default 3), so that a gateway to a silent server is replaced
   * within 4 s, where nats-server's defaults take 30 to 45 s.
   */
  liveness?: LivenessSpec;
  /**
   * A source watcher per region, beside its servers (default true): it steps down the leader of a
   * stream whose source or mirror makes no progress while its origin has a leader, so that read
   * streams converge after a partition or a restart without `pulumi up`. Local platform only, so far.
   */
  sourceWatchers?: boolean;
}

/** Per cluster, what an application or operator needs to reach it. */
export interface ClusterInfo {
  clientUrls: string[];
  monitorUrls: string[];
  region?: string;
  stretch: boolean;
}

/**
 * `nats-global:index:SuperCluster`: a NATS cluster per region, an optional stretch cluster with one
 * server in each of several regions, all joined by gateways into one JetStream super-cluster.
 */
export class SuperCluster extends pulumi.ComponentResource {
  readonly plan: SuperClusterPlan;
  readonly clusters: pulumi.Output<Record<string, ClusterInfo>>;
  /** Per server, a value that changes whenever it restarts: what resumes stalled sources. */
  readonly incarnations: pulumi.Output<string[]>;
  /** What the platforms add to the stack's outputs (the local region namespaces, as `network`). */
  readonly platformOutputs: Record<string, unknown>;
  /**
   * How the stack's own resources connect to the application account, a secret: the static mode's
   * user and password, or in operator mode an unrestricted user's `.creds`.
   */
  readonly appCredentials: pulumi.Output<AppCredentials>;
  /** Per region, the same for the region's account (its streams named as the virtual streams): a secret. */
  readonly regionCredentials: pulumi.Output<Record<string, AppCredentials>>;
  /**
   * The system account's user, a secret, in the shape of `appCredentials`: for operators' server
   * reports (`nats server report jetstream`) and the stack's own reload and lookup requests.
   */
  readonly systemCredentials: pulumi.Output<AppCredentials>;
  /** The source watchers, one per region on platforms that run them (see `sourceWatchers`). */
  readonly sourceWatchers: pulumi.Resource[] = [];
  /** With TLS on: the CA certificate (PEM, public) that clients verify the servers against. */
  readonly tlsCa: pulumi.Output<string> | undefined;
  /** Operator mode: the application account and the regions', by name, as the program changes them. */
  private readonly accounts: Map<string, OperatorAccount> | undefined;
  /** Operator mode: each account's public key, by name. */
  private readonly accountKeys: pulumi.Output<Record<string, string>> | undefined;
  /** The resources that run each group of servers. */
  private readonly provisioned: (pulumi.ComponentResource & ProvisionedServers)[];
  /** The platforms' drivers. */
  private readonly drivers: PlatformDriver[];
  private readonly claimed: { owner: string; subjects: string[] }[] = [];

  constructor(name: string, args: SuperClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nats-global:index:SuperCluster", name, {}, opts);
    this.plan = planned(() => planSuperCluster(args));
    planned(() => checkPlatforms(args, this.plan, name, pulumi.getStack()));
    planned(() => {
      const problems = problemList();
      checkLiveness(args.liveness, problems);
      if (args.security?.mode !== "operator") {
        const regionNames = this.plan.clusters.filter((c) => !c.stretch).map((c) => c.name);
        checkStaticUsers(args.auth, regionNames, problems);
      }
      problems.throwIfAny("super-cluster");
    });

    const regions = this.plan.clusters.filter((c) => !c.stretch).map((c) => c.name);
    const operator =
      args.security?.mode === "operator"
        ? createOperatorIdentity(name, args.security.accountLimits ?? {}, regions, this)
        : undefined;
    const staticAuth = operator === undefined ? this.authPlan(name, args) : undefined;
    const auth: pulumi.Output<AuthPlan | OperatorAuth> =
      operator?.auth ?? (staticAuth as pulumi.Output<AuthPlan>);

    const drivers = platformDrivers(args.regions, { name, plan: this.plan, parent: this, local: args.local });
    this.drivers = [...drivers.values()];
    this.platformOutputs = Object.assign({}, ...this.drivers.map((d) => d.outputs ?? {}));
    const driverOf = (server: ServerPlan): PlatformDriver => drivers.get(server.platform) as PlatformDriver;
    const addressing: Addressing = (server) => driverOf(server).endpoint(server);
    const tls = this.serverTls(name, args, addressing);
    this.tlsCa = tls?.caPem;
    const withCa = (who: pulumi.Output<AppCredentials>) =>
      pulumi.secret(
        pulumi.all([who, this.tlsCa]).apply(([w, ca]) => ({ ...w, ...(ca !== undefined ? { ca } : {}) })),
      );
    const adminOf = (account: string, region?: string): pulumi.Output<AppCredentials> =>
      operator?.accounts[account].adminCreds.apply((creds) => ({ creds })) ??
      (staticAuth as pulumi.Output<AuthPlan>).apply((a) => (region ? regionUser(a.app, region) : a.app));
    this.appCredentials = withCa(adminOf(APP_ACCOUNT));
    this.regionCredentials = pulumi.secret(
      pulumi
        .all(regions.map((region) => withCa(adminOf(regionAccount(region), region))))
        .apply((all) => Object.fromEntries(all.map((who, i) => [regions[i], who]))),
    );
    const volumeBytes = new Map(args.regions.map((region) => [region.name, storeVolumeBytes(region)]));
    const render = (server: ServerPlan): pulumi.Output<NatsServerConfig> =>
      pulumi.all([auth, driverOf(server).files(server, tls !== undefined)]).apply(([resolved, files]) =>
        renderServerConfig(server, {
          plan: this.plan,
          addressing,
          files,
          auth: resolved,
          limits: serverJetStreamLimits(args.jetstream, volumeBytes.get(server.region)),
          liveness: args.liveness,
        }),
      );
    const peers = peerAddresses(allServers(this.plan), driverOf);
    const systemWho: pulumi.Output<AppCredentials> =
      operator?.systemCreds.apply((creds) => ({ creds })) ??
      (staticAuth as pulumi.Output<AuthPlan>).apply(({ system }) => ({ ...system }));
    this.systemCredentials = pulumi.secret(
      pulumi
        .all([systemWho, this.tlsCa])
        .apply(([who, ca]) => ({ ...who, ...(ca !== undefined ? { ca } : {}) })),
    );
    const systemUser = this.systemCredentials.apply(connectionCredentials);
    const rolling = new Map(
      this.plan.clusters.map((cluster) => [
        cluster,
        new RollingOrder(
          `${name}-${cluster.name}`,
          cluster.name,
          cluster.servers.map((server) => clientUrl(addressing(server))),
          systemUser,
          this,
          rollingTimeoutMs(args.rollingTimeout),
        ),
      ]),
    );
    const groups = serverGroups(this.plan.clusters).map((group) => ({
      group,
      servers: driverOf(group.servers[0]).provision(group, {
        configs: new Map(group.servers.map((server) => [server.name, render(server)])),
        tls: tls?.pems,
        peers,
        rolling: rolling.get(group.cluster) as RollingOrder,
      }),
    }));
    this.provisioned = groups.map((g) => g.servers);
    this.clusters = pulumi
      .all(groups.map(({ servers }) => pulumi.all([servers.clientUrls, servers.monitorUrls])))
      .apply((urls) =>
        Object.fromEntries(
          this.plan.clusters.map((cluster) => {
            const mine = urls.filter((_, i) => groups[i].group.cluster === cluster);
            return [
              cluster.name,
              {
                clientUrls: mine.flatMap(([client]) => client),
                monitorUrls: mine.flatMap(([, monitor]) => monitor),
                ...(cluster.region !== undefined ? { region: cluster.region } : {}),
                stretch: cluster.stretch,
              },
            ];
          }),
        ),
      );
    if (operator !== undefined) {
      const host = {
        reach: pulumi.all([this.clusters, this.tlsCa]).apply(([clusters, ca]) => ({
          servers: Object.values(clusters).flatMap((info) => info.clientUrls),
          ...(ca !== undefined ? { tls: { ca } } : {}),
        })),
        serverCount: allServers(this.plan).length,
        dependsOn: this.provisioned,
        resident: this.residentOptions(),
      };
      this.accounts = new Map(
        Object.values(operator.accounts).map((account) => [
          account.name,
          new OperatorAccount(operator, account, host),
        ]),
      );
      for (const [account, changed] of this.accounts) {
        changed.limits(`${name}-${account.toLowerCase()}-limits`, args.security?.accountLimits ?? {}, this);
      }
      this.accountKeys = pulumi
        .all(Object.values(operator.accounts).map((a) => pulumi.all([a.name, a.publicKey])))
        .apply((pairs) => Object.fromEntries(pairs));
    }
    if (args.sourceWatchers !== false) {
      const watcherOf = (account: string): pulumi.Output<AppCredentials> =>
        operator?.accounts[account].watcherCreds.apply((creds) => ({ creds })) ??
        (staticAuth as pulumi.Output<AuthPlan>).apply((a) => watcherUser(a.watcher, account));
      for (const plan of planWatchers(this.plan)) {
        const cluster = this.plan.clusters.find((c) => c.name === plan.region) as ClusterPlan;
        const driver = driverOf(cluster.servers[0]);
        if (driver.sourceWatcher === undefined) continue;
        const accounts = plan.accounts.map(({ account, clusters }) =>
          pulumi.all([this.clusters, withCa(watcherOf(account))]).apply(([all, who]) => ({
            account,
            connection: { servers: all[plan.region].clientUrls, ...connectionCredentials(who) },
            ...(clusters !== undefined ? { clusters } : {}),
          })),
        );
        const config: pulumi.Output<WatcherConfig> = pulumi.secret(
          pulumi.all(accounts).apply((watched) => ({
            region: plan.region,
            accounts: watched,
            intervalMs: DEFAULT_WATCH_INTERVAL_MS,
            rules: DEFAULT_PROGRESS_RULES,
          })),
        );
        this.sourceWatchers.push(
          driver.sourceWatcher(`${name}-watcher-${plan.region}`, plan.region, config, this.provisioned),
        );
      }
    }
    this.incarnations = pulumi
      .all(this.provisioned.map((c) => c.incarnations))
      .apply((lists) => lists.flat());
    this.registerOutputs({
      clusters: this.clusters,
      appCredentials: this.appCredentials,
      regionCredentials: this.regionCredentials,
    });
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
    // Where one resource goes exactly when every server and its store go (the local data
    // directory), the streams and account links on them are deleted with it, without a call to servers
    // that may be down. Local servers mix with no other platform: there is one such resource.
    return { deletedWith: this.drivers.find((d) => d.residentsGoWith !== undefined)?.residentsGoWith };
  }

  /**
   * How a client reaches JetStream through `cluster`, as the stack's own user of `account` (the
   * application account, or a region's).
   */
  connection(cluster: string, account: string = APP_ACCOUNT): pulumi.Output<ConnectionSpec> {
    const region = this.plan.clusters.find((c) => regionAccount(c.name) === account)?.name;
    const who =
      region === undefined ? this.appCredentials : this.regionCredentials.apply((all) => all[region]);
    return pulumi.all([this.clusters, who]).apply(([clusters, credentials]) => ({
      servers: clusters[cluster].clientUrls,
      ...connectionCredentials(credentials),
    }));
  }

  /**
   * Puts one owner's account links on every server: the application account's exports first, then
   * each region account's imports; in operator mode by pushing account JWTs over NATS, in static
   * mode by config reload (no restart either way). Deleting the returned resources takes them away
   * again, imports first; other owners' links stay.
   */
  applyLinks(
    name: string,
    owner: string,
    links: AccountLinks,
    opts: { parent?: pulumi.Resource; dependsOn?: pulumi.Resource[] } = {},
  ): pulumi.CustomResource[] {
    if (this.accounts !== undefined && this.accountKeys !== undefined) {
      const accountKeys = this.accountKeys;
      const accountOf = (account: string) => this.accounts?.get(account) as OperatorAccount;
      const exported = accountOf(APP_ACCOUNT).part(
        `${name}-exports`,
        owner,
        { exports: jwtExports(links.exports) },
        opts,
      );
      const imported = Object.entries(links.imports).map(([account, imports]) =>
        accountOf(account).part(
          `${name}-imports-${account.toLowerCase()}`,
          owner,
          accountKeys.apply((keys) => ({ imports: jwtImports(imports, (a) => keys[a]) })),
          { parent: opts.parent, dependsOn: [...(opts.dependsOn ?? []), exported] },
        ),
      );
      return [exported, ...imported];
    }
    // Static mode runs only where servers take accounts from their config (checkPlatforms).
    const byConfig = this.drivers.find((d) => d.links !== undefined) as Required<PlatformDriver>;
    return [
      byConfig.links(name, owner, links, {
        parent: opts.parent,
        dependsOn: [...this.provisioned, ...(opts.dependsOn ?? [])],
        ...this.residentOptions(),
      }),
    ];
  }

  /**
   * Operator mode: a user of `region`'s account with `permissions`, as a `.creds` secret; removing
   * it, or raising `generation`, revokes its key on every server.
   */
  appUser(
    name: string,
    region: string,
    permissions: pulumi.Input<UserPermissions>,
    opts: { parent: pulumi.Resource; generation?: number },
  ): { creds: pulumi.Output<string>; publicKey: pulumi.Output<string> } {
    if (this.accounts === undefined) {
      throw new pulumi.RunError(
        `user "${name}": users with their own permissions need security.mode "operator" on the super-cluster`,
      );
    }
    return (this.accounts.get(regionAccount(region)) as OperatorAccount).user(name, permissions, opts);
  }

  /** Certificates for every server, when TLS is on: by default in operator mode. */
  private serverTls(name: string, args: SuperClusterArgs, addressing: Addressing): ServerTls | undefined {
    const tls = args.security?.tls;
    if (tls === false || (tls === undefined && args.security?.mode !== "operator")) return undefined;
    return planned(() => createServerTls(name, tls ?? {}, allServers(this.plan), addressing, this));
  }

  private authPlan(name: string, args: SuperClusterArgs): pulumi.Output<AuthPlan> {
    const credentials = (role: "app" | "system" | "watcher", defaultUser: string) => {
      const given = role === "watcher" ? undefined : args.auth?.[role];
      const password =
        given?.password ?? new GeneratedPassword(`${name}-${role}-password`, { parent: this }).result;
      return pulumi
        .all([given?.user ?? defaultUser, password])
        .apply(([user, pw]) => ({ user, password: pw }));
    };
    return pulumi.secret(
      pulumi
        .all([
          credentials("app", "app"),
          credentials("system", "system"),
          credentials("watcher", WATCHER_USER),
        ])
        .apply(([app, system, watcher]) => ({ app, system, watcher })),
    );
  }
}

/** Every server's public IP, when every platform reserves them before its servers exist. */
function peerAddresses(
  servers: ServerPlan[],
  driverOf: (server: ServerPlan) => PlatformDriver,
): pulumi.Output<string[]> | undefined {
  const ips = servers.map((server) => driverOf(server).publicIps?.get(server.name));
  return ips.every((ip) => ip !== undefined) ? pulumi.all(ips as pulumi.Output<string>[]) : undefined;
}
