/*
 * Finding and stopping detached processes through /proc, whatever their pid was when they started.
 * Only Node built-ins: Pulumi's closure serializer carries these functions into dynamic providers.
 */
import * as fs from "fs";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Live (not zombie) processes of `executable` (a file name) with an argument that `matches`. */
export function livePids(executable: string, matches: (arg: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // The state letter follows the parenthesised command name; Z is a zombie, X is dead.
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state === "Z" || state === "X") continue;
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
