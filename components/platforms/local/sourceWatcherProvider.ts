import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import {
  sourceWatcherPid,
  startSourceWatcher,
  stopSourceWatcher,
  WatcherCommand,
  watcherExecutable,
} from "./sourceWatcher";

export interface SourceWatcherInputs {
  command: WatcherCommand;
  /** Argv it runs under (its region's namespace): empty on loopback. */
  launcher: string[];
  /** Its WatcherConfig, credentials included: a secret. */
  config: unknown;
  /** Where its config and log live. */
  dir: string;
  startTimeoutMs: number;
  /** Desired: always true. `pulumi refresh` records false when it no longer runs, so that `up` starts it. */
  running: boolean;
}

export interface SourceWatcherState extends SourceWatcherInputs {
  pid?: number;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

async function start(inputs: SourceWatcherInputs): Promise<SourceWatcherState> {
  const { command, launcher, config, dir, startTimeoutMs } = inputs;
  const pid = await startSourceWatcher(command, launcher, config, dir, startTimeoutMs);
  return { ...inputs, pid, running: true };
}

/** One region's source watcher, as a detached process; a change restarts it. */
export const sourceWatcherProvider: pulumi.dynamic.ResourceProvider<SourceWatcherInputs, SourceWatcherState> =
  {
    async create(inputs) {
      return { id: inputs.dir, outs: await start(inputs) };
    },

    async read(id, props) {
      if (props === undefined) throw new Error(`source watchers cannot be imported (${id})`);
      const pid = sourceWatcherPid(props.dir, watcherExecutable(props.command));
      const { pid: _recorded, ...inputs } = { ...props, running: pid !== undefined };
      return { id, props: pid === undefined ? inputs : { ...inputs, pid }, inputs };
    },

    async diff(_id, olds, news) {
      const replaces = olds.dir === news.dir ? [] : ["dir"];
      const changed = (["command", "launcher", "config", "running"] as const).filter(
        (key) => !sameJson(olds[key], news[key]),
      );
      return { changes: replaces.length + changed.length > 0, replaces, deleteBeforeReplace: true };
    },

    async update(_id, _olds, news) {
      return { outs: await start(news) };
    },

    async delete(_id, props) {
      await stopSourceWatcher(props.dir, watcherExecutable(props.command));
    },
  };

export type SourceWatcherArgs = {
  [K in keyof Omit<SourceWatcherInputs, "running">]: pulumi.Input<SourceWatcherInputs[K]>;
};

/** `pulumi-nodejs:local:SourceWatcher`: a region's source watcher. */
export class SourceWatcher extends pulumi.dynamic.Resource {
  declare readonly pid: pulumi.Output<number>;

  constructor(name: string, args: SourceWatcherArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      sourceWatcherProvider,
      name,
      { ...args, running: true, pid: undefined },
      opts,
      "local",
      "SourceWatcher",
    );
  }
}

/**
 * How this program's own Node.js runs the watcher: the package's compiled entry, or, when the
 * program runs this package from source (ts-node), the source through ts-node.
 */
export function watcherCommand(): WatcherCommand {
  const entry = path.join(__dirname, "..", "..", "jetstream", "watcherMain");
  if (!__filename.endsWith(".ts")) return { argv: [process.execPath, `${entry}.js`], env: {} };
  return {
    argv: [process.execPath, "-r", require.resolve("ts-node/register/transpile-only"), `${entry}.ts`],
    env: { TS_NODE_PROJECT: path.join(__dirname, "..", "..", "..", "tsconfig.json") },
  };
}
