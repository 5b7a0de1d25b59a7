/*
 * `ts-node examples/regional-app/deploy.ts <up|output|destroy> <app stack> <nats stack> <region> <app>`:
 * runs program.ts as the stack `<app stack>` of the project `regional-app`, on the same backend as
 * this repository's stacks (scripts/with-env.sh). `output` prints its `appConfig`, secrets shown.
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import * as path from "path";

async function main(command: string, stackName: string, natsStack: string, region: string, app: string) {
  const stack = await LocalWorkspace.createOrSelectStack(
    {
      projectName: "regional-app",
      stackName,
      program: async () => require(path.join(__dirname, "program"))(),
    },
    { workDir: __dirname },
  );
  await stack.setAllConfig({
    "regional-app:natsStack": { value: `organization/nats-global/${natsStack}` },
    "regional-app:region": { value: region },
    "regional-app:app": { value: app },
  });
  if (command === "up") {
    const result = await stack.up({ onOutput: (text) => process.stdout.write(text) });
    console.log(`up of stack ${stackName} finished: ${JSON.stringify(result.summary.resourceChanges)}`);
  } else if (command === "output") {
    console.log(JSON.stringify((await stack.outputs()).appConfig?.value, null, 2));
  } else if (command === "destroy") {
    await stack.destroy();
    await stack.workspace.removeStack(stackName);
  } else {
    throw new Error(`${command}: up, output or destroy`);
  }
}

const [command, stackName, natsStack, region, app] = process.argv.slice(2);
main(command, stackName, natsStack, region, app).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
