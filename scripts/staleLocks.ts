/*
 * A `pulumi up` killed with SIGKILL (out of memory, a closed terminal, kill -9) leaves its lock in
 * the file backend, and every later command of the stack then fails with "the stack is currently
 * locked". A lock whose process is gone on this very machine protects nothing: it is removed.
 * Killed while saving, it can also leave the checkpoint's attributes file (`<stack>.json.attrs`,
 * written beside the checkpoint, which is itself renamed into place whole) empty, and every later
 * command fails with "failed to load checkpoint: EOF": an empty one says nothing, and is removed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { processAlive } from "../components/platforms/local/procfs";

interface LockContent {
  pid: number;
  hostname: string;
}

/** The lock files of `stack` in a file backend: `.pulumi/locks/<org>/<project>/<stack>/<id>.json`. */
function lockFiles(backendDir: string, stack: string): string[] {
  const locks = path.join(backendDir, ".pulumi", "locks");
  if (!fs.existsSync(locks)) return [];
  return fs
    .readdirSync(locks, { recursive: true, encoding: "utf8" })
    .filter((file) => path.basename(path.dirname(file)) === stack && file.endsWith(".json"))
    .map((file) => path.join(locks, file));
}

/** Removes the stack's locks left by processes of this machine that no longer run; says which. */
export function removeStaleLocks(backendUrl: string | undefined, stack: string): string[] {
  if (backendUrl === undefined || !backendUrl.startsWith("file://")) return [];
  const removed: string[] = [];
  for (const file of lockFiles(backendUrl.slice("file://".length).split("?")[0], stack)) {
    let lock: LockContent;
    try {
      lock = JSON.parse(fs.readFileSync(file, "utf8")) as LockContent;
    } catch {
      continue; // Being written or removed by a live process right now.
    }
    if (lock.hostname !== os.hostname() || processAlive(lock.pid)) continue;
    fs.rmSync(file, { force: true });
    removed.push(`pid ${lock.pid}`);
  }
  return removed;
}

/** Removes the stack's empty checkpoint attributes files (see above); says which. */
export function removeEmptyCheckpointAttributes(backendUrl: string | undefined, stack: string): string[] {
  if (backendUrl === undefined || !backendUrl.startsWith("file://")) return [];
  const stacks = path.join(backendUrl.slice("file://".length).split("?")[0], ".pulumi", "stacks");
  if (!fs.existsSync(stacks)) return [];
  return fs
    .readdirSync(stacks, { recursive: true, encoding: "utf8" })
    .filter((file) => path.basename(file) === `${stack}.json.attrs`)
    .map((file) => path.join(stacks, file))
    .filter((file) => fs.statSync(file).size === 0)
    .map((file) => {
      fs.rmSync(file);
      return file;
    });
}
