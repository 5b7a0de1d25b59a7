/*
 * `npm run contexts [-- <stack>]`: writes a nats CLI context per cluster of a stack, named
 * `<stack>-<cluster>` (local-west, local-central...), as the seed's startservers does by hand.
 * They hold the application account's password, or in operator mode name a `.creds` file written
 * beside them: the files are readable by their owner only.
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { AppCredentials } from "../components/jetstream/clientAuth";

interface ClusterOutput {
  clientUrls: string[];
  region?: string;
}

async function main(stackName: string): Promise<void> {
  const root = path.resolve(__dirname, "..");
  const stack = await LocalWorkspace.selectStack({ stackName, workDir: root });
  const outputs = await stack.outputs();
  const clusters = outputs.clusters?.value as Record<string, ClusterOutput> | undefined;
  const credentials = outputs.credentials?.value as AppCredentials | undefined;
  if (clusters === undefined || credentials === undefined) {
    throw new Error(`stack ${stackName} has no clusters yet: run \`npm run up\` first`);
  }
  const dir = path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), ".config"), "nats", "context");
  fs.mkdirSync(dir, { recursive: true });
  const credsFile = path.join(dir, `${stackName}.creds`);
  const auth =
    "creds" in credentials
      ? { creds: credsFile }
      : { user: credentials.user, password: credentials.password };
  if ("creds" in credentials) fs.writeFileSync(credsFile, credentials.creds, { mode: 0o600 });
  for (const [cluster, info] of Object.entries(clusters)) {
    const name = `${stackName}-${cluster}`;
    const context = {
      description: `nats-global stack ${stackName}, cluster ${cluster}`,
      url: info.clientUrls.join(","),
      ...auth,
    };
    fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(context, null, 2), { mode: 0o600 });
    console.log(`nats context ${name}: ${context.url}`);
  }
  console.log(`written to ${dir}; use them as: nats --context ${stackName}-west stream info foo`);
}

main(process.argv[2] ?? "local").catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
