import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import * as path from "path";

export const PROJECT_ROOT = path.resolve(__dirname, "..");

/**
 * A stack of this project with index.ts as its program, run in this process (Automation API inline
 * program): only the pulumi binary is needed (README, "Running pulumi yourself").
 */
export function projectStack(stackName: string): Promise<Stack> {
  return LocalWorkspace.createOrSelectStack(
    {
      projectName: "nats-global",
      stackName,
      program: async () => require(path.join(PROJECT_ROOT, "index"))(),
    },
    { workDir: PROJECT_ROOT },
  );
}
