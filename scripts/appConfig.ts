/*
 * `npm run app-config -- <stack> <region> [--app <name>] [--format env|json] [--creds file|inline]`:
 * prints what an application in `region` needs, from the stack's outputs: its cluster's URLs, its
 * user's credentials and the CA, and each of its virtual streams' name and subjects. With
 * `--creds file` (the default) the `.creds` and CA are the files beside the nats contexts, which
 * every `up` rewrites; `--creds inline` puts their content in the JSON instead (a secret: keep it so).
 */
import { LocalWorkspace, OutputMap } from "@pulumi/pulumi/automation";
import * as path from "path";
import { ApplicationConfig, applicationConfig, applicationEnv } from "../components/applicationConfig";
import type { AppCredentials } from "../components/jetstream/clientAuth";
import type { RegionAppConfig } from "../components/virtualStream";
import { credentialFiles } from "./natsContexts";

const USAGE =
  "usage: npm run app-config -- <stack> <region> [--app <name>] [--format env|json] [--creds file|inline]";

interface Options {
  stackName: string;
  region: string;
  app?: string;
  format: "env" | "json";
  creds: "file" | "inline";
}

function parseArgs(argv: string[]): Options {
  const [stackName, region, ...rest] = argv;
  if (stackName === undefined || region === undefined) throw new Error(USAGE);
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) {
    if (!["--app", "--format", "--creds"].includes(rest[i]) || rest[i + 1] === undefined) {
      throw new Error(`${rest[i]}: not an option\n${USAGE}`);
    }
    flags[rest[i].slice(2)] = rest[i + 1];
  }
  const format = flags.format ?? "env";
  const creds = flags.creds ?? "file";
  if (format !== "env" && format !== "json") throw new Error(`--format: env or json, not "${format}"`);
  if (creds !== "file" && creds !== "inline") throw new Error(`--creds: file or inline, not "${creds}"`);
  if (format === "env" && creds === "inline") {
    throw new Error("--creds inline: an environment variable holds one line; use --format json");
  }
  return { stackName, region, app: flags.app, format, creds };
}

/** The application's user and virtual streams: an application's in operator mode, else the stack's. */
function whoAndWhat(
  outputs: OutputMap,
  options: Options,
): { name: string; who: AppCredentials; streams: string[] } {
  const users = (outputs.users?.value ?? {}) as Record<string, Record<string, AppCredentials>>;
  const given = (outputs.applications?.value ?? {}) as Record<string, string[]>;
  const apps = Object.keys(users);
  if (apps.length === 0) {
    if ("creds" in outputs.credentials.value) {
      throw new Error(
        `--app: stack ${options.stackName} has no applications: add nats-global:applications to its config ` +
          "(operator mode gives each application a user of its own; the stack's user is for operators)",
      );
    }
    // Static mode has no application users: applications connect as the stack's user of the region.
    const streams = Object.keys((outputs.streams?.value ?? {}) as object);
    const regional = (outputs.regionCredentials?.value ?? {}) as Record<string, AppCredentials>;
    const who = regional[options.region];
    if (who === undefined)
      throw new Error(`region: "${options.region}" is not one of ${Object.keys(regional).join(", ")}`);
    return { name: `${options.stackName}-${options.region}`, who, streams };
  }
  const app = options.app ?? (apps.length === 1 ? apps[0] : undefined);
  if (app === undefined || users[app] === undefined) {
    throw new Error(`--app: one of ${apps.join(", ")}${app !== undefined ? ` (not "${app}")` : ""}`);
  }
  const who = users[app][options.region];
  if (who === undefined)
    throw new Error(`region: "${options.region}" is not one of ${Object.keys(users[app]).join(", ")}`);
  return { name: `${options.stackName}-${app}-${options.region}`, who, streams: given[app] ?? [] };
}

function render(config: ApplicationConfig, options: Options, name: string): string {
  if (options.format === "json") {
    const files =
      options.creds === "file" ? credentialFiles(options.stackName, name, config.credentials) : undefined;
    const credentials =
      files === undefined ? config.credentials : { ...withoutSecrets(config.credentials), files };
    return JSON.stringify({ ...config, credentials }, null, 2);
  }
  const env = applicationEnv(config, credentialFiles(options.stackName, name, config.credentials));
  return Object.entries(env)
    .map(([key, value]) => `${key}='${value.replace(/'/g, `'\\''`)}'`)
    .join("\n");
}

/** The static user stays (applications need its password); a `.creds` and the CA go to files. */
function withoutSecrets(credentials: AppCredentials): object {
  return "creds" in credentials ? {} : { user: credentials.user, password: credentials.password };
}

async function main(options: Options): Promise<void> {
  const stack = await LocalWorkspace.selectStack({
    stackName: options.stackName,
    workDir: path.resolve(__dirname, ".."),
  });
  const outputs = await stack.outputs();
  if (outputs.streams === undefined)
    throw new Error(`stack ${options.stackName} has no outputs: run \`npm run up\` first`);
  const { name, who, streams } = whoAndWhat(outputs, options);
  const all = outputs.streams.value as Record<string, Record<string, RegionAppConfig>>;
  const config = applicationConfig({
    region: options.region,
    credentials: who,
    virtualStreams: Object.fromEntries(streams.map((s) => [s, all[s]])),
  });
  console.log(render(config, options, name));
}

Promise.resolve()
  .then(() => main(parseArgs(process.argv.slice(2))))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
