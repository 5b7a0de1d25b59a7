/*
 * Starting detached processes, and finding and stopping them through /proc whatever their pid was
 * when they started. Only Node built-ins: Pulumi's closure serializer carries these functions into
 * dynamic providers.
 */
import * as childProcess from "child_process";
import * as fs from "fs";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `pid` runs: a zombie, killed but not yet reaped by its parent, does not. */
export function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state letter follows the parenthesised command name; Z is a zombie, X is dead.
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
  } catch {
    return false;
  }
}

/** Live (not zombie) processes of `executable` (a file name) with an argument that `matches`. */
export function livePids(executable: string, matches: (arg: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!processAlive(Number(entry))) continue;
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (cmdline[0].endsWith(`/${executable}`) || cmdline[0] === executable) {
        if (cmdline.some(matches)) pids.push(Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

export interface DetachedProcess {
  pid: number;
  /** Why it no longer runs ("exited", or why it could not be started), while it does: undefined. */
  ended(): string | undefined;
}

/**
 * Starts `argv` detached from this process (it outlives the `pulumi up` that started it), its
 * stdout and stderr to `outputFile`.
 */
export function spawnDetached(argv: string[], outputFile: string, env?: NodeJS.ProcessEnv): DetachedProcess {
  const output = fs.openSync(outputFile, "w");
  const [command, ...args] = argv;
  const child = childProcess.spawn(command, args, { detached: true, stdio: ["ignore", output, output], env });
  fs.closeSync(output);
  let ended: string | undefined;
  child.on("exit", () => (ended ??= "exited"));
  child.on("error", (e) => (ended = `could not be started (${command}: ${e.message})`));
  child.unref();
  return { pid: child.pid as number, ended: () => ended };
}

/**
 * Stops the process that `find` names (if any): SIGTERM, then SIGKILL after `graceMs`; returns once
 * `find` no longer names it.
 */
export async function stopProcess(find: () => number | undefined, graceMs: number): Promise<void> {
  const pid = find();
  if (pid === undefined) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  };
  const running = () => find() === pid;
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!running()) return;
    await sleep(50);
  }
  signal("SIGKILL");
  while (running()) await sleep(50);
}
