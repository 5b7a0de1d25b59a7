/*
 * `npm run up|down|preview|refresh [-- <stack>]`: runs index.ts on a stack (default `local`) through
 * the Pulumi CLI. The program runs in this process (Automation API inline program), which needs only
 * the pulumi binary; the per-language host that `pulumi up` would start is not in the pinned
 * toolchain (README, "Running pulumi yourself").
 */
import { contextDir, removeContexts, writeContexts } from "./natsContexts";
import { projectStack } from "./projectStack";
import { removeEmptyCheckpointAttributes, removeStaleLocks } from "./staleLocks";

const COMMANDS = ["up", "down", "preview", "refresh"] as const;
type Command = (typeof COMMANDS)[number];

async function main(command: Command, stackName: string): Promise<void> {
  for (const file of removeEmptyCheckpointAttributes(process.env.PULUMI_BACKEND_URL, stackName)) {
    console.log(`removed ${file}: a pulumi command killed while saving left it empty`);
  }
  const stack = await projectStack(stackName);
  for (const holder of removeStaleLocks(process.env.PULUMI_BACKEND_URL, stackName)) {
    console.log(`removed the lock of a pulumi command that was killed (${holder}): it no longer runs`);
  }
  const onOutput = (text: string) => process.stdout.write(text);
  const options = { onOutput, color: "auto" as const };
  const started = Date.now();
  let changes: Record<string, number> | undefined;
  switch (command) {
    case "up":
      // Refresh first, so that servers that died since the last run are noticed and started again.
      changes = (await stack.up({ ...options, refresh: true })).summary.resourceChanges;
      // Credentials may have changed (a rotation, a renewal): the contexts follow every update.
      console.log(
        `nats contexts in ${contextDir()}: ${writeContexts(stackName, await stack.outputs()).join(", ")}`,
      );
      break;
    case "down":
      changes = (await stack.destroy(options)).summary.resourceChanges;
      removeContexts(stackName);
      break;
    case "preview":
      changes = (await stack.preview({ ...options, diff: true, refresh: true })).changeSummary;
      break;
    case "refresh":
      changes = (await stack.refresh(options)).summary.resourceChanges;
      break;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const summary = Object.entries(changes ?? {}).map(([kind, count]) => `${count} ${kind}`);
  console.log(`\n${command} of stack ${stackName} finished in ${seconds} s: ${summary.join(", ")}`);
}

const [command, stackName = "local"] = process.argv.slice(2);
if (!COMMANDS.includes(command as Command)) {
  console.error(`usage: ts-node scripts/stack.ts <${COMMANDS.join("|")}> [stack]`);
  process.exit(2);
}
/** The CLI's `error:` blocks (a line and the indented lines under it), each once. */
function errorBlocks(text: string): string[] {
  const blocks: string[][] = [];
  let current: string[] | undefined;
  for (const line of text.split("\n").map((l) => l.trimEnd())) {
    if (line.startsWith("error:")) blocks.push((current = [line]));
    else if (current !== undefined && /^\s+\S/.test(line)) current.push(line);
    else current = undefined;
  }
  return [...new Set(blocks.map((b) => b.join("\n")))];
}

main(command as Command, stackName).catch((error: unknown) => {
  // The CLI's progress has been streamed already; what is left to say is its errors.
  const message = error instanceof Error ? error.message : String(error);
  const blocks = errorBlocks(message);
  console.error(
    `\n${command} of stack ${stackName} failed:\n${blocks.length > 0 ? blocks.join("\n") : message}`,
  );
  process.exit(1);
});
