/*
 * The source watcher as a process of its own: `node watcherMain.js <config.json>`, the config a
 * `WatcherConfig` with its users' credentials (a file only its owner reads). It checks until SIGTERM.
 */
import * as fs from "fs";
import { WATCHER_STARTED } from "../model/watchers";
import { closeAllSessions } from "./connection";
import { SourceWatch, WatcherConfig, watchSources } from "./sourceWatch";

/** A line repeated (an account out of reach, every second) is logged again only after this long. */
const REPEAT_AFTER_MS = 60_000;

function logger(): (line: string) => void {
  const lastLogged = new Map<string, number>();
  return (line) => {
    const now = Date.now();
    if (now - (lastLogged.get(line) ?? -Infinity) < REPEAT_AFTER_MS) return;
    lastLogged.set(line, now);
    process.stdout.write(`${new Date(now).toISOString()} ${line}\n`);
  };
}

async function main(configFile: string): Promise<void> {
  const config = JSON.parse(fs.readFileSync(configFile, "utf8")) as WatcherConfig;
  const log = logger();
  let stopped = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => (stopped = true));
  log(`${WATCHER_STARTED} ${config.accounts.map((a) => a.account).join(", ")} from ${config.region}`);
  await watchSources(new SourceWatch(config, log), { intervalMs: config.intervalMs, stopped: () => stopped });
  await closeAllSessions();
}

if (require.main === module) {
  main(process.argv[2]).catch((error: unknown) => {
    process.stderr.write(`the source watcher stopped: ${(error as Error).stack}\n`);
    process.exit(1);
  });
}
