/*
 * `npm run contexts [-- <stack>]`: writes a nats CLI context per cluster of a stack, named
 * `<stack>-<cluster>` (local-west, local-central...), as the seed's startservers does by hand, and
 * in operator mode one per application and region (`<stack>-<app>-<region>`) with that user's
 * creds. They hold a password or name a `.creds` file written beside them, and with TLS the stack's
 * CA certificate (`<stack>-ca.pem`): the files are readable by their owner only.
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
  const users = (outputs.users?.value ?? {}) as Record<string, Record<string, { creds: string }>>;
  if (clusters === undefined || credentials === undefined) {
    throw new Error(`stack ${stackName} has no clusters yet: run \`npm run up\` first`);
  }
  const dir = path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), ".config"), "nats", "context");
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, description: string, urls: string[], auth: object) => {
    const context = { description, url: urls.join(","), ...auth };
    fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(context, null, 2), { mode: 0o600 });
    console.log(`nats context ${name}: ${context.url}`);
  };
  const privateFile = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  };
  const trust =
    credentials.ca !== undefined ? { ca: privateFile(`${stackName}-ca.pem`, credentials.ca) } : {};
  const credsFile = (name: string, creds: string) => ({
    creds: privateFile(`${name}.creds`, creds),
    ...trust,
  });
  // The stack's own user, unrestricted in the application account: for operators.
  const admin =
    "creds" in credentials
      ? credsFile(stackName, credentials.creds)
      : { user: credentials.user, password: credentials.password, ...trust };
  for (const [cluster, info] of Object.entries(clusters)) {
    write(
      `${stackName}-${cluster}`,
      `nats-global stack ${stackName}, cluster ${cluster}`,
      info.clientUrls,
      admin,
    );
  }
  // Each application's user in each region: what an application there may do, and nothing more.
  for (const [app, byRegion] of Object.entries(users)) {
    for (const [region, user] of Object.entries(byRegion)) {
      const name = `${stackName}-${app}-${region}`;
      write(
        name,
        `nats-global stack ${stackName}, application ${app} in ${region}`,
        clusters[region].clientUrls,
        credsFile(name, user.creds),
      );
    }
  }
  console.log(`written to ${dir}; use them as: nats --context ${stackName}-west stream info foo`);
}

main(process.argv[2] ?? "local").catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
