import * as fs from "fs";

/** PIDs of live nats-server processes whose command line mentions `dirPrefix` (their config path). */
export function natsServerPids(dirPrefix: string): number[] {
  return fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        if (/\) [ZX] /.test(stat)) return false;
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        return cmdline[0].endsWith("nats-server") && cmdline.some((arg) => arg.startsWith(dirPrefix));
      } catch {
        return false;
      }
    })
    .map(Number);
}

export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
}
