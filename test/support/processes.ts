import { natsServerPids } from "../../components/platforms/local/processes";

export { natsServerPids };

export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
}
