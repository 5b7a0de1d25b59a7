import * as pulumi from "@pulumi/pulumi";
import { NatsServerConfig } from "../../model/serverConfig";
import { ServerTlsPems } from "../../model/security/tls";
import {
  reloadServer,
  removeServerFiles,
  serverPid,
  startServer,
  STOP_GRACE_MS,
  stopServer,
} from "./processes";
import { writeTlsFiles } from "./tlsFiles";

/** What the provider needs to run one server; `config` is the server's rendered configuration. */
export interface LocalServerInputs {
  serverName: string;
  binary: string;
  dir: string;
  config: NatsServerConfig;
  monitorUrl: string;
  startTimeoutMs: number;
  /** Argv the server runs under, such as its region's `ip netns exec <namespace>`. */
  launcher?: string[];
  /** The PEM files the config's `tls` blocks name. New ones are picked up by a reload, not a restart. */
  tls?: ServerTlsPems;
  /**
   * Desired: always true. `pulumi refresh` records false when it finds the process gone, so the
   * next preview shows `running: false => true` and the update starts the server again.
   */
  running: boolean;
}

export interface LocalServerState extends LocalServerInputs {
  /** Absent from the inputs that `read` reports: it is observed, never desired. */
  pid?: number;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What the running process was started with: a change of any of them needs a new process. */
const RESTART_KEYS: (keyof LocalServerInputs)[] = [
  "serverName",
  "binary",
  "config",
  "monitorUrl",
  "running",
  "launcher",
];

const changedRestartKeys = (olds: LocalServerInputs, news: LocalServerInputs) =>
  RESTART_KEYS.filter((key) => !sameJson(olds[key], news[key]));

async function start(inputs: LocalServerInputs): Promise<LocalServerState> {
  const pid = await startServer({
    binary: inputs.binary,
    dir: inputs.dir,
    config: inputs.config,
    monitorUrl: inputs.monitorUrl,
    timeoutMs: inputs.startTimeoutMs,
    launcher: inputs.launcher,
    tls: inputs.tls,
  });
  return { ...inputs, pid, running: true };
}

/** Runs one nats-server as a detached process on this machine; its files live in `dir`. */
export const localServerProvider: pulumi.dynamic.ResourceProvider<LocalServerInputs, LocalServerState> = {
  async create(inputs) {
    return { id: inputs.dir, outs: await start(inputs) };
  },

  async read(id, props) {
    if (props === undefined) throw new Error(`local servers cannot be imported (${id})`);
    // Whoever started it: a server restarted by hand is recognised by its config, not its old pid.
    const pid = serverPid(props.dir);
    const { pid: _recorded, ...inputs } = { ...props, running: pid !== undefined };
    // An undefined property cannot cross to the engine: a dead server has no pid at all.
    return { id, props: pid === undefined ? inputs : { ...inputs, pid }, inputs };
  },

  async diff(_id, olds, news) {
    // Moving the directory would leave two servers on the same ports: stop the old one first.
    const replaces = olds.dir === news.dir ? [] : ["dir"];
    const changed = changedRestartKeys(olds, news);
    if (!sameJson(olds.tls, news.tls)) changed.push("tls");
    return { changes: replaces.length + changed.length > 0, replaces, deleteBeforeReplace: true };
  },

  async update(_id, olds, news) {
    const restart = changedRestartKeys(olds, news).length > 0;
    const pid = serverPid(news.dir);
    if (!restart && news.tls !== undefined && pid !== undefined) {
      // Renewed certificates: connections stay up, new ones present and check the new files.
      writeTlsFiles(news.dir, news.tls);
      await reloadServer(news.dir, news.monitorUrl, news.startTimeoutMs);
      return { outs: { ...news, pid, running: true } };
    }
    await stopServer(olds.dir, STOP_GRACE_MS);
    return { outs: await start(news) };
  },

  async delete(_id, props) {
    await stopServer(props.dir, STOP_GRACE_MS);
    removeServerFiles(props.dir);
  },
};

export type LocalServerArgs = {
  [K in keyof Omit<LocalServerInputs, "running">]: pulumi.Input<LocalServerInputs[K]>;
};

/** `pulumi-nodejs:local:Server`: one nats-server process. */
export class LocalServer extends pulumi.dynamic.Resource {
  declare readonly serverName: pulumi.Output<string>;
  declare readonly dir: pulumi.Output<string>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;

  constructor(name: string, args: LocalServerArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      localServerProvider,
      name,
      { ...args, running: true, pid: undefined },
      { ...opts, additionalSecretOutputs: ["config", "tls"] },
      "local",
      "Server",
    );
  }
}
