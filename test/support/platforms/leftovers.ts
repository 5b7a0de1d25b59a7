/*
 * What a platform test killed halfway (a timeout, ^C) leaves running: its control planes, emulator
 * and machines outlive it, holding ports and addresses. The next run kills them before it starts.
 */
import { processAlive } from "../../../components/platforms/local/procfs";
import { eventually } from "../monitor";

export async function killLeftovers(what: string, pids: number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  await eventually(
    `${what} left by an earlier run gone`,
    async () => (pids.some(processAlive) ? undefined : true),
    10_000,
  );
}
