/*
 * Runs a Pulumi program module of the tests or benchmarks through the real Pulumi CLI:
 *
 *   ts-node test/support/runProgram.ts <up|preview|refresh|destroy|rm> <stack> <program module> <input.json> [work dir]
 *
 * The module's default export takes the parsed input and declares resources; it runs in this
 * process (Automation API inline program). The CLI's output streams to stdout; the last line is
 * `@@RESULT <json>` with the stack outputs and the resource changes by kind.
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");

async function main(): Promise<void> {
  const [command, stackName, programModule, inputFile, ownWorkDir] = process.argv.slice(2);
  const input = JSON.parse(fs.readFileSync(inputFile, "utf8"));
  const program = require(path.resolve(programModule)).default as (input: unknown) => Record<string, unknown>;
  // Inside the checkout, so that the dynamic-provider shim finds @pulumi/pulumi from its cwd; or the
  // program's own project, whose node_modules the dynamic providers then load packages from.
  const workDir = ownWorkDir ?? path.join(PROJECT_DIR, ".pulumi-state", "work", stackName);
  fs.mkdirSync(workDir, { recursive: true });
  const stack = await LocalWorkspace.createOrSelectStack(
    { projectName: "nats-global-test", stackName, program: async () => program(input) },
    { workDir, projectSettings: { name: "nats-global-test", runtime: "nodejs" } },
  );
  const onOutput = (text: string) => process.stdout.write(text);
  let changes: unknown;
  switch (command) {
    case "up":
      changes = (await stack.up({ onOutput })).summary.resourceChanges;
      break;
    case "preview":
      changes = (await stack.preview({ onOutput, diff: true })).changeSummary;
      break;
    case "refresh":
      changes = (await stack.refresh({ onOutput })).summary.resourceChanges;
      break;
    case "destroy":
      changes = (await stack.destroy({ onOutput })).summary.resourceChanges;
      break;
    case "rm":
      await stack.workspace.removeStack(stackName, { force: true });
      if (ownWorkDir === undefined) fs.rmSync(workDir, { recursive: true, force: true });
      break;
    default:
      throw new Error(`unknown command ${command}`);
  }
  const outputs = command === "rm" ? {} : await stack.outputs();
  const plain = Object.fromEntries(
    Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]),
  );
  console.log(`\n@@RESULT ${JSON.stringify({ changes, outputs: plain })}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
