import { LivenessSpec, pingSettings } from "./liveness";
import { createHash } from "crypto";
import { Addressing, gatewayUrl, hostPort, monitorOverHttps, routeUrl } from "./endpoints";
import { ServerPlan, SuperClusterPlan } from "./plan";
import { TlsBlock, tlsBlock, TlsFiles } from "./security/tls";
import { APP_ACCOUNT, regionAccount, SYSTEM_ACCOUNT } from "./accounts";
import { watcherPermissions } from "./security/permissions";
import { ProblemList } from "./validation";
import { ServiceExport, ServiceImport, StreamExport, StreamImport } from "./regionAccounts";

export interface UserCredentials {
  user: string;
  password: string;
}

export interface AuthPlan {
  /**
   * The application account's user (JetStream enabled). Each region's account has a user of the
   * same password, named `<user>-<region>` (`regionUser`).
   */
  app: UserCredentials;
  /** The system account's user, for monitoring and reload requests over `$SYS`. */
  system: UserCredentials;
  /**
   * The source watchers' user, in the application account and (as `<user>-<region>`) in each
   * region's: it may read stream info and ask a stream's leader to step down, nothing else.
   */
  watcher: UserCredentials;
}

/**
 * Operator mode: accounts are JWTs the servers resolve (a `full` resolver: each server keeps them
 * in its own directory and they spread between servers), trusted through the operator's JWT.
 */
export interface OperatorAuth {
  operator: {
    jwt: string;
    /** The system account's public key. */
    systemAccount: string;
    /** Account public key → JWT, stored by each server at first start unless it holds a newer one. */
    preload: Record<string, string>;
  };
}

/** Static mode: the stack's own user of a region's account. */
export const regionUser = (app: UserCredentials, region: string): UserCredentials => ({
  user: `${app.user}-${region}`,
  password: app.password,
});

/** Static mode: the user name of the source watchers in the application account. */
export const WATCHER_USER = "watcher";

/**
 * Static mode: refuses user names that clash, as nats-server refuses a name used in two accounts:
 * the application's and system's users given, each region's `<app user>-<region>`, and the
 * watchers' `watcher` and `watcher-<region>`.
 */
export function checkStaticUsers(
  auth: { app?: { user?: string }; system?: { user?: string } } | undefined,
  regions: string[],
  problems: ProblemList,
): void {
  const app = auth?.app?.user ?? "app";
  const taken = new Map<string, string>([
    [WATCHER_USER, "the source watchers"],
    ...regions.map((r) => [`${WATCHER_USER}-${r}`, `the source watchers in ${r}`] as [string, string]),
  ]);
  const given: [string, string, string][] = [
    ["auth.app.user", app, "the application account"],
    ...regions.map((r): [string, string, string] => ["auth.app.user", `${app}-${r}`, `${r}'s account`]),
    ["auth.system.user", auth?.system?.user ?? "system", "the system account"],
  ];
  for (const [field, name, where] of given) {
    const owner = taken.get(name);
    if (owner !== undefined) {
      problems.add(field, `makes a user "${name}" in ${where}, a name ${owner} have already: choose another`);
    }
    taken.set(name, where);
  }
}

/** Static mode: the watchers' user of `account`. */
export const watcherUser = (watcher: UserCredentials, account: string): UserCredentials =>
  account === APP_ACCOUNT
    ? watcher
    : { user: `${watcher.user}-${account.slice(APP_ACCOUNT.length + 1)}`, password: watcher.password };

export const isOperatorAuth = (auth: AuthPlan | OperatorAuth): auth is OperatorAuth => "operator" in auth;

/** How long a server waits for another server's answer when it looks up an account it lacks. */
const RESOLVER_TIMEOUT = "5s";
/** How often servers compare the JWTs they hold with each other and fetch what they miss. */
const RESOLVER_SYNC_INTERVAL = "2m";

export interface JetStreamLimits {
  maxMemoryStore: number;
  maxFileStore: number;
}

export const DEFAULT_JETSTREAM_LIMITS: JetStreamLimits = {
  maxMemoryStore: 256 * 1024 * 1024,
  maxFileStore: 8 * 1024 * 1024 * 1024,
};

/**
 * What JetStream may fill of a store volume of `volumeBytes`: 90%, the rest for the file system
 * (ext4 reserves 5% for root, which the server is not, and keeps its metadata there) and for the
 * compactions and snapshots the server writes beside its blocks.
 */
export const usableStoreBytes = (volumeBytes: number): number => Math.floor(volumeBytes * 0.9);

/**
 * A server's JetStream limits: the given ones; else a file store that fills what its volume
 * offers (`volumeBytes`; undefined where the store has no volume of its own, as on this machine).
 */
export function serverJetStreamLimits(
  given: Partial<JetStreamLimits> | undefined,
  volumeBytes: number | undefined,
): JetStreamLimits {
  const derived = volumeBytes !== undefined ? { maxFileStore: usableStoreBytes(volumeBytes) } : {};
  return { ...DEFAULT_JETSTREAM_LIMITS, ...derived, ...(given ?? {}) };
}

/** Where the platform keeps the server's files. */
export interface ServerFiles {
  storeDir: string;
  logFile?: string;
  /** Where the server writes its pid: a reload signal finds it there. */
  pidFile?: string;
  /** Operator mode: where the server keeps the account JWTs it resolves (default storeDir/jwt). */
  resolverDir?: string;
  /** With TLS: the CA, certificate and key the server presents and checks peers against. */
  tls?: TlsFiles;
}

/**
 * The `server_metadata` key under which a server's config names the digest of what it was started
 * with (its config, and what else its platform changes it by): the server reports it in its varz
 * once it runs them, which is how the rolling gate tells that a server has taken a change.
 */
export const FILES_DIGEST_KEY = "nats-global/files";

/**
 * `config` with the digest of itself and of `alongside` (what reaches the server with it:
 * certificates, a pod template) in its metadata, and that digest.
 */
export function withFilesDigest(
  config: NatsServerConfig,
  alongside: unknown,
): { config: NatsServerConfig; digest: string } {
  const digest = createHash("sha256")
    .update(JSON.stringify([config, alongside]))
    .digest("hex")
    .slice(0, 32);
  return {
    config: { ...config, server_metadata: { ...config.server_metadata, [FILES_DIGEST_KEY]: digest } },
    digest,
  };
}

/** nats-server's configuration, in the JSON form the server accepts; keys as the server spells them. */
export interface NatsServerConfig {
  server_name: string;
  listen: string;
  /** Where clients reach it, when not at `listen`: what it tells clients of the cluster's servers. */
  client_advertise?: string;
  /** Monitoring over plain HTTP, on loopback only when TLS is on; else over HTTPS. */
  http?: string;
  https?: string;
  /** Client connections: TLS required, clients verify the server against the CA. */
  tls?: TlsBlock;
  server_tags: string[];
  log_file?: string;
  pid_file?: string;
  /** How often the server pings each connection, and how many may go unanswered (liveness.ts). */
  ping_interval: string;
  ping_max: number;
  /** How long a server told to stop (lame duck mode) takes to move its clients away, after the grace period. */
  lame_duck_duration?: string;
  lame_duck_grace_period?: string;
  jetstream: {
    store_dir: string;
    max_memory_store: number;
    max_file_store: number;
    unique_tag: string;
  };
  cluster: { name: string; listen: string; advertise?: string; routes: string[]; tls?: TlsBlock };
  gateway: {
    name: string;
    listen: string;
    advertise?: string;
    tls?: TlsBlock;
    gateways: { name: string; urls: string[] }[];
  };
  /** Static mode: accounts and their users. */
  accounts?: Record<string, AccountConfig>;
  /** The system account: its name in static mode, its public key in operator mode. */
  system_account: string;
  operator?: string;
  resolver?: { type: "full"; dir: string; allow_delete: boolean; interval: string; timeout: string };
  resolver_preload?: Record<string, string>;
  /** Free-form facts about the server, reported in its varz: reloaded with the config. */
  server_metadata?: Record<string, string>;
}

export interface AccountConfig {
  jetstream?: "enabled";
  users: { user: string; password: string; permissions?: ConfigPermissions }[];
  exports?: (ServiceExport | StreamExport)[];
  imports?: (ServiceImport | StreamImport)[];
}

/** A user's permissions as a server's config states them. */
export interface ConfigPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
}

export interface RenderInputs {
  plan: SuperClusterPlan;
  addressing: Addressing;
  files: ServerFiles;
  auth: AuthPlan | OperatorAuth;
  limits?: JetStreamLimits;
  liveness?: LivenessSpec;
}

/**
 * The complete configuration of one server. Stream replicas land on servers of distinct zones
 * (`unique_tag`); zone names are global, so the stretch cluster's replicas land in distinct regions.
 */
export function renderServerConfig(server: ServerPlan, inputs: RenderInputs): NatsServerConfig {
  const { plan, addressing, files, auth } = inputs;
  const limits = inputs.limits ?? DEFAULT_JETSTREAM_LIMITS;
  const self = addressing(server);
  const cluster = plan.clusters.find((c) => c.name === server.cluster);
  if (cluster === undefined) throw new Error(`server ${server.name} names unknown cluster ${server.cluster}`);
  const config: NatsServerConfig = {
    server_name: server.name,
    listen: `${self.bind}:${self.client}`,
    [monitorOverHttps(self, files.tls !== undefined) ? "https" : "http"]: `${self.bind}:${self.monitor}`,
    server_tags: server.tags,
    ...pingSettings(inputs.liveness),
    jetstream: {
      store_dir: files.storeDir,
      max_memory_store: limits.maxMemoryStore,
      max_file_store: limits.maxFileStore,
      // One tag for every server: the meta leader applies its own setting to every placement.
      unique_tag: "az:",
    },
    cluster: {
      name: cluster.name,
      listen: `${self.bind}:${self.cluster}`,
      // Every server of the cluster, itself included: the server skips its own URL, and a cluster
      // of one still has the configured route that clustered JetStream insists on.
      routes: cluster.servers.map((s) => routeUrl(addressing(s))),
    },
    gateway: {
      name: cluster.name,
      listen: `${self.bind}:${self.gateway}`,
      gateways: plan.clusters.map((c) => ({
        name: c.name,
        urls: c.servers.map((s) => gatewayUrl(addressing(s))),
      })),
    },
    ...(isOperatorAuth(auth) ? renderOperator(auth, files) : renderStatic(auth, plan)),
  };
  if (self.advertise?.client !== undefined) config.client_advertise = hostPort(self.advertise.client);
  if (self.advertise?.cluster !== undefined) config.cluster.advertise = hostPort(self.advertise.cluster);
  if (self.advertise?.gateway !== undefined) config.gateway.advertise = hostPort(self.advertise.gateway);
  if (files.tls !== undefined) {
    config.tls = tlsBlock(files.tls, false);
    // Mutual TLS: a route or gateway peer proves it holds a certificate from the same CA.
    config.cluster.tls = tlsBlock(files.tls, true);
    config.gateway.tls = tlsBlock(files.tls, true);
  }
  if (files.logFile !== undefined) config.log_file = files.logFile;
  if (files.pidFile !== undefined) config.pid_file = files.pidFile;
  return config;
}

/** The accounts, without links: those come from the virtual streams (see linksConfig.ts). */
function renderStatic(
  auth: AuthPlan,
  plan: SuperClusterPlan,
): Pick<NatsServerConfig, "accounts" | "system_account"> {
  const regions = plan.clusters.filter((c) => !c.stretch).map((c) => c.name);
  const { pub, sub } = watcherPermissions();
  const permissions = { publish: { allow: pub.allow ?? [] }, subscribe: { allow: sub.allow ?? [] } };
  const watcher = (account: string) => ({ ...watcherUser(auth.watcher, account), permissions });
  return {
    accounts: {
      [APP_ACCOUNT]: { jetstream: "enabled", users: [{ ...auth.app }, watcher(APP_ACCOUNT)] },
      ...Object.fromEntries(
        regions.map((region) => [
          regionAccount(region),
          {
            jetstream: "enabled",
            users: [regionUser(auth.app, region), watcher(regionAccount(region))],
          },
        ]),
      ),
      [SYSTEM_ACCOUNT]: { users: [{ ...auth.system }] },
    },
    system_account: SYSTEM_ACCOUNT,
  };
}

function renderOperator(
  { operator }: OperatorAuth,
  files: ServerFiles,
): Pick<NatsServerConfig, "operator" | "system_account" | "resolver" | "resolver_preload"> {
  return {
    operator: operator.jwt,
    system_account: operator.systemAccount,
    resolver: {
      type: "full",
      dir: files.resolverDir ?? `${files.storeDir}/jwt`,
      // An account is never deleted by a push: removing one is a change of the stack, not of a server.
      allow_delete: false,
      interval: RESOLVER_SYNC_INTERVAL,
      timeout: RESOLVER_TIMEOUT,
    },
    resolver_preload: { ...operator.preload },
  };
}

/** Lame duck mode of a server stopped by its platform: clients move away over 30 s, after 10 s. */
export const LAME_DUCK = { durationS: 30, gracePeriodS: 10 };

/** `config` for a platform that stops servers with the lame-duck signal (Kubernetes, VMs). */
export function withLameDuck(config: NatsServerConfig): NatsServerConfig {
  return {
    ...config,
    lame_duck_duration: `${LAME_DUCK.durationS}s`,
    lame_duck_grace_period: `${LAME_DUCK.gracePeriodS}s`,
  };
}
