import * as path from "path";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** A binary of the pinned toolchain (scripts/setup.sh puts them in .tools/bin). */
export function tool(name: "nats-server" | "nats" | "pulumi"): string {
  return path.join(PROJECT_DIR, ".tools", "bin", name);
}
