/*
 * `npm run preview:summary -- <stack> [--out <file>]`: previews the stack (refreshed first, as
 * `npm run preview` does) and prints the summary a reviewer reads in a pull request
 * (components/previewSummary.ts), or writes it to `--out`. The engine's step events are those
 * `pulumi preview --json` prints; Automation API hands them over as they come.
 */
import * as fs from "fs";
import { PreviewStep, previewSummary } from "../components/previewSummary";
import { projectStack } from "./projectStack";

async function main(stackName: string, out: string | undefined): Promise<void> {
  const stack = await projectStack(stackName, true);
  const steps: PreviewStep[] = [];
  await stack.preview({
    refresh: true,
    onEvent: (event) => {
      if (event.resourcePreEvent !== undefined) steps.push(event.resourcePreEvent.metadata);
    },
  });
  const markdown = previewSummary(stackName, steps);
  if (out === undefined) process.stdout.write(markdown);
  else fs.writeFileSync(out, markdown);
}

const [stackName, flag, out] = process.argv.slice(2);
if (stackName === undefined || (flag !== undefined && (flag !== "--out" || out === undefined))) {
  console.error("usage: npm run preview:summary -- <stack> [--out <file>]");
  process.exit(2);
}
main(stackName, out).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
