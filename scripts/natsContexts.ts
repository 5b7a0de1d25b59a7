/*
 * The nats CLI contexts of a stack, in `$XDG_CONFIG_HOME/nats/context` (as the seed's startservers
 * writes them): `<stack>-<cluster>` as the stack's own user, `<stack>-sys` as the system account's
 * user (server reports), and in operator mode `<stack>-<app>-<region>` per application and region.
 * They hold a password or name a `.creds` file written beside them, and with TLS the stack's CA
 * certificate (`<stack>-ca.pem`): the files are readable by their owner only. `npm run up` writes
 * them after every update, so that they never hold credentials the servers no longer take.
 */
import type { OutputMap } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { CredentialFiles } from "../components/applicationConfig";
import type { AppCredentials } from "../components/jetstream/clientAuth";

interface ClusterOutput {
  clientUrls: string[];
  stretch: boolean;
}

interface NatsContext {
  description: string;
  url: string;
  user?: string;
  password?: string;
  creds?: string;
  ca?: string;
}

export const contextDir = () =>
  path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), ".config"), "nats", "context");

/** What every context of the stack says first: how `removeContexts` tells them from others. */
const describedAs = (stackName: string, what: string) => `nats-global stack ${stackName}, ${what}`;

/** Writes the stack's contexts from its outputs, replacing those an earlier update wrote. */
export function writeContexts(stackName: string, outputs: OutputMap): string[] {
  const clusters = outputs.clusters?.value as Record<string, ClusterOutput> | undefined;
  const credentials = outputs.credentials?.value as AppCredentials | undefined;
  const regional = (outputs.regionCredentials?.value ?? {}) as Record<string, AppCredentials>;
  const system = outputs.systemCredentials?.value as AppCredentials | undefined;
  const users = (outputs.users?.value ?? {}) as Record<string, Record<string, AppCredentials>>;
  if (clusters === undefined || credentials === undefined) {
    throw new Error(`stack ${stackName} has no clusters yet: run \`npm run up\` first`);
  }
  removeContexts(stackName);
  const dir = contextDir();
  const auth = (name: string, who: AppCredentials) => ({
    ...("creds" in who ? {} : { user: who.user, password: who.password }),
    ...credentialFiles(stackName, name, who),
  });
  const written = new Map<string, string>();
  const write = (name: string, what: string, urls: string[], who: AppCredentials) => {
    if (written.has(name)) {
      throw new Error(
        `the contexts of ${written.get(name)} and of ${what} would both be ${name}: rename one of them`,
      );
    }
    const context: NatsContext = {
      description: describedAs(stackName, what),
      url: urls.join(","),
      ...auth(name, who),
    };
    fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(context, null, 2), { mode: 0o600 });
    written.set(name, what);
  };
  // A region's context is its account's (the streams of the virtual names); the stretch cluster
  // holds the application account's streams only.
  for (const [cluster, info] of Object.entries(clusters)) {
    write(`${stackName}-${cluster}`, `cluster ${cluster}`, info.clientUrls, regional[cluster] ?? credentials);
  }
  // Accounts span the super-cluster: any regional server answers for them.
  const regionalUrls = Object.values(clusters)
    .filter((c) => !c.stretch)
    .flatMap((c) => c.clientUrls);
  write(`${stackName}-write`, "the application account (write side)", regionalUrls, credentials);
  if (system !== undefined) write(`${stackName}-sys`, "system account", regionalUrls, system);
  for (const [app, byRegion] of Object.entries(users)) {
    for (const [region, user] of Object.entries(byRegion)) {
      write(
        `${stackName}-${app}-${region}`,
        `application ${app} in ${region}`,
        clusters[region].clientUrls,
        user,
      );
    }
  }
  return [...written.keys()];
}

/**
 * Writes `who`'s `.creds` (as `<name>.creds`) and the stack's CA (as `<stack>-ca.pem`) beside the
 * contexts, readable by their owner only, and returns their paths: the files the context `name`
 * uses, which every `up` rewrites.
 */
export function credentialFiles(stackName: string, name: string, who: AppCredentials): CredentialFiles {
  const dir = contextDir();
  fs.mkdirSync(dir, { recursive: true });
  const privateFile = (file: string, text: string) => {
    const at = path.join(dir, file);
    fs.writeFileSync(at, text, { mode: 0o600 });
    // The mode above applies to a new file only: one written before, or by hand, is made private too.
    fs.chmodSync(at, 0o600);
    return at;
  };
  return {
    ...("creds" in who ? { creds: privateFile(`${name}.creds`, who.creds) } : {}),
    ...(who.ca !== undefined ? { ca: privateFile(`${stackName}-ca.pem`, who.ca) } : {}),
  };
}

/** Removes the contexts this stack's updates wrote, and the files they name. */
export function removeContexts(stackName: string): string[] {
  const dir = contextDir();
  if (!fs.existsSync(dir)) return [];
  const removed: string[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const contextFile = path.join(dir, file);
    let context: NatsContext;
    try {
      context = JSON.parse(fs.readFileSync(contextFile, "utf8"));
    } catch {
      continue; // Not a context of ours.
    }
    if (!context.description?.startsWith(describedAs(stackName, ""))) continue;
    // Only the files written beside it under the names `credentialFiles` gives: a copied context
    // may name a file of the user's own.
    const ours = [`${file.slice(0, -".json".length)}.creds`, `${stackName}-ca.pem`].map((f) =>
      path.join(dir, f),
    );
    for (const named of [context.creds, context.ca]) {
      if (named !== undefined && ours.includes(named)) fs.rmSync(named, { force: true });
    }
    fs.rmSync(contextFile);
    removed.push(file.slice(0, -".json".length));
  }
  return removed;
}
