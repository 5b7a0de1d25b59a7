/*
 * The gate of a rolling replacement on a cloud that runs each server on a machine of its own: once a
 * server is back in its new machine, `pulumi up` waits, with a bound, until the server says over
 * `$SYS` that it is healthy and caught up, and only then lets the next server of its cluster go.
 * "Healthy" is nats-server's /healthz without options (Server.healthz in monitor.go): ready for
 * connections (its listeners up), JetStream current with its meta leader and with every replicated
 * stream and consumer it hosts.
 * A server that runs new files (config and certificates that a machine takes by reload or restart)
 * is waited for until it reports them in its varz metadata, then as above.
 * A server's first start is not waited for: a new super-cluster forms only once most of its servers
 * run, so a server that starts alone is never healthy. A gate made for a cluster that already runs
 * (a stack made before the gates, a server added) does wait: another server of its cluster is
 * healthy, so JetStream has its quorum and this server can catch up.
 */
import * as pulumi from "@pulumi/pulumi";
import { waitUntil } from "../model/boundedWait";
import { FILES_DIGEST_KEY } from "../model/serverConfig";
import { ConnectionSpec, session } from "./connection";

export interface ServerCaughtUpInputs {
  /** The server's name, as its config gives it. */
  server: string;
  /** Its cluster's name. */
  cluster: string;
  /** Changes when the server is replaced (its instance id): then the gate waits. */
  incarnation: string;
  /**
   * The digest of the config and certificates the server should run (its varz metadata reports
   * the ones it runs, FILES_DIGEST_KEY): when it changes, the gate waits until the server reports it.
   */
  files?: string;
  /**
   * Whether a change of incarnation restarts the server (a new pod): then the gate waits for the
   * new files loaded at a start, since the server may take them by reload before its restart.
   */
  restarts?: boolean;
  /** The servers of its cluster, as a user of the system account (the only one `$SYS` answers). */
  connection: ConnectionSpec;
  timeoutMs: number;
}

const PROBE_TIMEOUT_MS = 3_000;
const PROBE_INTERVAL_MS = 2_000;

/** The reply to a `$SYS` healthz request (ServerAPIResponse around HealthStatus, monitor.go). */
interface HealthReply {
  data?: { status?: string; error?: string; errors?: { error?: string }[] };
  error?: { description?: string };
}

/**
 * The reply to a `$SYS` varz request: the metadata the server runs with, when it started, and when
 * it last loaded its config (at its start, or by a reload since: Server.configTime, reload.go).
 */
interface VarzReply {
  data?: { server_id?: string; metadata?: Record<string, string>; start?: string; config_load_time?: string };
}

/** The server's varz, or undefined when it does not answer in time. */
async function varzOf(connection: ConnectionSpec, server: string): Promise<VarzReply["data"]> {
  const { nc } = await session(connection);
  const filter = JSON.stringify({ server_name: server, exact_match: true });
  const reply = await nc.request("$SYS.REQ.SERVER.PING.VARZ", filter, { timeout: PROBE_TIMEOUT_MS });
  return (reply.json() as VarzReply).data;
}

/** How the gate tells that a server restarted since a change: see notCaughtUp. */
interface Restart {
  /** The id of the server when this gate last passed, where known: another one has restarted. */
  ranAs: string | undefined;
}

/**
 * Why `server` is not running `files` (when given; with `restart`, since a start after the change),
 * healthy and caught up now (in its own words), or undefined when it is.
 */
async function notCaughtUp(
  connection: ConnectionSpec,
  server: string,
  files: string | undefined,
  restart: Restart | undefined,
): Promise<string | undefined> {
  try {
    const { nc } = await session(connection);
    if (files !== undefined) {
      const varz = await varzOf(connection, server);
      const running = varz?.metadata?.[FILES_DIGEST_KEY];
      if (running !== files) return `runs files ${running ?? "unknown"}, not yet ${files}`;
      // Restarted with them: another server than the one the gate last passed, or one that loaded
      // its config at its start and never since (NewServer sets both times alike; a reload, such as
      // a pod's reloader makes for new certificates before the pod is replaced, moves one).
      const loadedAtStart = Date.parse(varz?.config_load_time ?? "") === Date.parse(varz?.start ?? "");
      const another = restart?.ranAs !== undefined && varz?.server_id !== restart.ranAs;
      if (restart !== undefined && !loadedAtStart && !another) {
        return "took its new files by reload and has not restarted yet";
      }
    }
    // Every server answers PING requests; the filter leaves the one asked about. With details, each
    // stream or consumer that is behind is named.
    const filter = JSON.stringify({ server_name: server, exact_match: true, details: true });
    const options = { timeout: PROBE_TIMEOUT_MS };
    const reply = await nc.request("$SYS.REQ.SERVER.PING.HEALTHZ", filter, options);
    const health = reply.json() as HealthReply;
    if (health.data?.status === "ok") return undefined;
    const details = health.data?.errors?.map((e) => e.error).filter(Boolean) ?? [];
    return (
      [health.data?.error, ...details].filter(Boolean).join("; ") ||
      health.error?.description ||
      `status ${health.data?.status ?? "unknown"}`
    );
  } catch (error) {
    return `does not answer (${(error as Error).message})`;
  }
}

/** Whether another server of the cluster says it is healthy: then the cluster already runs. */
async function clusterRuns(inputs: ServerCaughtUpInputs): Promise<boolean> {
  try {
    const { nc } = await session(inputs.connection);
    const replies = await nc.requestMany(
      "$SYS.REQ.SERVER.PING.HEALTHZ",
      JSON.stringify({ cluster: inputs.cluster, exact_match: true }),
      { strategy: "count", maxMessages: inputs.connection.servers.length, maxWait: PROBE_TIMEOUT_MS },
    );
    for await (const reply of replies) {
      const health = reply.json() as HealthReply & { server?: { name?: string } };
      if (health.server?.name !== inputs.server && health.data?.status === "ok") return true;
    }
  } catch {
    // No server answers: nothing of the cluster runs yet.
  }
  return false;
}

/**
 * Waits until the server runs `inputs.files`, healthy and caught up, and, when the change restarts
 * it (`restart`), runs them since a start rather than by a reload.
 */
async function waitCaughtUp(inputs: ServerCaughtUpInputs, restart: Restart | undefined): Promise<void> {
  const reason = await waitUntil(() => notCaughtUp(inputs.connection, inputs.server, inputs.files, restart), {
    timeoutMs: inputs.timeoutMs,
    intervalMs: PROBE_INTERVAL_MS,
  });
  if (reason === undefined) return;
  throw new Error(
    `server ${inputs.server} is not healthy and caught up ${Math.round(inputs.timeoutMs / 1000)} s after ` +
      `it was changed: ${reason}\n  hint: the next servers of its cluster wait for it; look at its ` +
      "logs (on a VM: journalctl -u nats-server -u nats-server-files; on Kubernetes: kubectl logs " +
      "<server>-0), then run `pulumi up` again",
  );
}

/** The gate's state: its inputs, and the id its server had when the gate last passed, if known. */
export interface ServerCaughtUpState extends ServerCaughtUpInputs {
  ranAs?: string;
}

/** `inputs`, with the id the server answers with now where a change restarts it. */
async function passed(inputs: ServerCaughtUpInputs): Promise<ServerCaughtUpState> {
  if (inputs.restarts !== true) return inputs;
  try {
    const ranAs = (await varzOf(inputs.connection, inputs.server))?.server_id;
    return ranAs !== undefined ? { ...inputs, ranAs } : inputs;
  } catch {
    return inputs;
  }
}

export const serverCaughtUpProvider: pulumi.dynamic.ResourceProvider<
  ServerCaughtUpInputs,
  ServerCaughtUpState
> = {
  async create(inputs) {
    // A server new to a running cluster: nothing of it ran before, whatever runs now is it. A first
    // start is not waited for, nor asked its id: its server may not answer for a while yet.
    if (!(await clusterRuns(inputs))) return { id: inputs.server, outs: inputs };
    await waitCaughtUp(inputs, undefined);
    return { id: inputs.server, outs: await passed(inputs) };
  },
  async diff(_id, olds, news) {
    const keys = [
      "server",
      "cluster",
      "incarnation",
      "files",
      "restarts",
      "connection",
      "timeoutMs",
    ] as const;
    return { changes: keys.some((key) => JSON.stringify(olds[key]) !== JSON.stringify(news[key])) };
  },
  async update(_id, olds, news) {
    const newMachine = olds.incarnation !== news.incarnation;
    // The server may have restarted before this gate asks, or after an `up` that gave up: files
    // loaded at a start tell it, or, after a reload since, an id other than when the gate last passed.
    if (newMachine || olds.files !== news.files) {
      await waitCaughtUp(news, newMachine && news.restarts === true ? { ranAs: olds.ranAs } : undefined);
    }
    return { outs: await passed(news) };
  },
};

/** `pulumi-nodejs:dynamic/jetstream:ServerCaughtUp`. */
export class ServerCaughtUp extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    args: { [K in keyof ServerCaughtUpInputs]: pulumi.Input<ServerCaughtUpInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      serverCaughtUpProvider,
      name,
      { ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "jetstream",
      "ServerCaughtUp",
    );
  }
}
