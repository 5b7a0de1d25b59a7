import { InlineProgramArgs, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import * as path from "path";

export const PROJECT_ROOT = path.resolve(__dirname, "..");

/**
 * A stack of this project with index.ts as its program, run in this process (Automation API inline
 * program): only the pulumi binary is needed (README, "Running pulumi yourself"). Created when
 * missing unless `existing`: a preview of a stack that is not there is a mistake, not a plan.
 */
export function projectStack(stackName: string, existing = false): Promise<Stack> {
  const program: InlineProgramArgs = {
    projectName: "nats-global",
    stackName,
    program: async () => require(path.join(PROJECT_ROOT, "index"))(),
  };
  const options = { workDir: PROJECT_ROOT };
  return existing
    ? LocalWorkspace.selectStack(program, options)
    : LocalWorkspace.createOrSelectStack(program, options);
}
