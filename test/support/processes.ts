import { natsServerPids } from "../../components/platforms/local/processes";
import { livePids } from "../../components/platforms/local/procfs";
import { TOXIPROXY_EXECUTABLE } from "../../components/platforms/local/latencyProxy";

export { natsServerPids };

/** Every server, latency proxy and source watcher a stack runs from its data directory. */
export const stackPids = (dataDir: string): number[] => [
  ...natsServerPids(dataDir),
  ...livePids(TOXIPROXY_EXECUTABLE, (arg) => arg.startsWith(dataDir)),
  ...livePids("node", (arg) => arg.startsWith(dataDir)),
];
export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
}
