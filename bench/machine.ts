import { execFileSync } from "child_process";
import * as os from "os";
import { PROJECT_DIR, tool } from "../test/support/tools";

function versionOf(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8" }).trim().split("\n")[0];
  } catch (e) {
    return `unknown (${(e as Error).message})`;
  }
}

/** What a benchmark ran on and with: printed beside its numbers. */
export function machine() {
  return {
    nproc: versionOf("nproc", []),
    cpu: os.cpus()[0]?.model ?? "unknown",
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    natsServer: versionOf(tool("nats-server"), ["--version"]),
    pulumi: versionOf(tool("pulumi"), ["version"]),
    nats: versionOf(tool("nats"), ["--version"]),
    commit: versionOf("git", ["-C", PROJECT_DIR, "rev-parse", "--short", "HEAD"]),
    /** Whether the measured code differs from the commit. */
    dirty:
      versionOf("git", ["-C", PROJECT_DIR, "status", "--porcelain", "--", "components", "index.ts"]) !== "",
  };
}
