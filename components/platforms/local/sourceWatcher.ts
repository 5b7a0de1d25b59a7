/*
 * A region's source watcher (jetstream/watcherMain.ts) as a detached Node.js process on this
 * machine, in the region's namespace when regions have one. Only Node built-ins and model code:
 * Pulumi's closure serializer carries these functions into dynamic providers.
 */
import * as fs from "fs";
import * as path from "path";
import { WATCHER_STARTED } from "../../model/watchers";
import { livePids, spawnDetached, stopProcess } from "./procfs";

/** It ends its check and closes its connections on SIGTERM, within a request's timeout. */
const STOP_GRACE_MS = 5000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface SourceWatcherFiles {
  /** Its config, with its users' credentials: what identifies the process. */
  configFile: string;
  logFile: string;
}

export function sourceWatcherFiles(dir: string): SourceWatcherFiles {
  return { configFile: path.join(dir, "watcher.json"), logFile: path.join(dir, "watcher.log") };
}

/** The pid of the watcher that runs the config in `dir` under `executable` (its file name), or undefined. */
export function sourceWatcherPid(dir: string, executable: string): number | undefined {
  const { configFile } = sourceWatcherFiles(dir);
  return livePids(executable, (arg) => arg === configFile)[0];
}

/** The file name of the executable the watcher runs under: what finds it in /proc. */
export const watcherExecutable = (command: WatcherCommand): string => path.basename(command.argv[0]);

/** How this program's Node.js runs the watcher: its compiled entry, or its source through ts-node. */
export interface WatcherCommand {
  argv: string[];
  env: Record<string, string>;
}

/**
 * Writes the config (readable by its owner only), starts the watcher detached from this process
 * (replacing one left on the same config) and waits until it watches. On failure none is left.
 */
export async function startSourceWatcher(
  command: WatcherCommand,
  launcher: string[],
  config: unknown,
  dir: string,
  timeoutMs: number,
): Promise<number> {
  const files = sourceWatcherFiles(dir);
  fs.mkdirSync(dir, { recursive: true });
  await stopSourceWatcher(dir, watcherExecutable(command));
  // Created anew: a file's mode is set only when it is created.
  fs.rmSync(files.configFile, { force: true });
  fs.writeFileSync(files.configFile, JSON.stringify(config), { mode: 0o600 });
  // Only what it needs: the provider's environment may hold the stack's passphrase.
  const env = { PATH: process.env.PATH ?? "", ...command.env };
  const child = spawnDetached([...launcher, ...command.argv, files.configFile], files.logFile, env);
  const deadline = Date.now() + timeoutMs;
  const log = () => (fs.existsSync(files.logFile) ? fs.readFileSync(files.logFile, "utf8") : "");
  while (!log().includes(WATCHER_STARTED)) {
    const ended = child.ended();
    if (ended !== undefined || Date.now() > deadline) {
      await stopSourceWatcher(dir, watcherExecutable(command));
      const why = ended ?? `did not start within ${timeoutMs} ms`;
      throw new Error(`the source watcher in ${dir} ${why}:\n${log()}`);
    }
    await sleep(100);
  }
  return child.pid;
}

export const stopSourceWatcher = (dir: string, executable: string): Promise<void> =>
  stopProcess(() => sourceWatcherPid(dir, executable), STOP_GRACE_MS);
