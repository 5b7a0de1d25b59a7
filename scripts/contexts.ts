/*
 * `npm run contexts [-- <stack>]`: writes the stack's nats CLI contexts (scripts/natsContexts.ts)
 * from its outputs, as `npm run up` does after every update.
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import * as path from "path";
import { contextDir, writeContexts } from "./natsContexts";

async function main(stackName: string): Promise<void> {
  const stack = await LocalWorkspace.selectStack({ stackName, workDir: path.resolve(__dirname, "..") });
  const written = writeContexts(stackName, await stack.outputs());
  console.log(`nats contexts in ${contextDir()}: ${written.join(", ")}`);
}

main(process.argv[2] ?? "local").catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
