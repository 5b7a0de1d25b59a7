/*
 * `npm run partition -- <region> [<region>...] [--stack <stack>]`: cuts the named regions off from
 * the others (packets dropped silently; this machine still reaches every region).
 * `npm run isolate -- <region>...`: cuts them off from everyone, this machine included.
 * `npm run heal [-- --stack <stack>]`: mends every cut. For stacks with `network: namespaces`.
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import * as path from "path";
import { RegionNetworkPlan } from "../components/platforms/local/regionNetworkPlan";
import { heal, isolate, partition } from "../components/platforms/local/regionNetwork";

const root = path.resolve(__dirname, "..");

async function networkOf(stackName: string): Promise<RegionNetworkPlan> {
  const stack = await LocalWorkspace.selectStack({ stackName, workDir: root });
  const network = (await stack.outputs()).network?.value as RegionNetworkPlan | undefined;
  if (network === undefined) {
    throw new Error(
      `stack ${stackName} has no region network: set nats-global:network to "namespaces" in ` +
        `stacks/Pulumi.${stackName}.yaml and run \`npm run up\` (as root)`,
    );
  }
  return network;
}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  const at = rest.indexOf("--stack");
  const stackName = at >= 0 ? rest[at + 1] : "local";
  const regions = rest.filter((_, i) => i !== at && i !== at + 1);
  const network = await networkOf(stackName);
  switch (command) {
    case "partition":
    case "isolate":
      if (regions.length === 0) throw new Error(`usage: npm run ${command} -- <region>... [--stack <stack>]`);
      await (command === "partition" ? partition(network, [regions]) : isolate(network, regions));
      console.log(
        `${regions.join(", ")} cut off (${command}) in stack ${stackName}; \`npm run heal\` mends it`,
      );
      break;
    case "heal":
      await heal(network);
      console.log(`every region of stack ${stackName} reaches every other again`);
      break;
    default:
      throw new Error(
        "usage: ts-node scripts/network.ts <partition|isolate|heal> [region...] [--stack <stack>]",
      );
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
