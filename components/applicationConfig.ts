/*
 * What an application in one region is configured with, from what a stack outputs (the cluster's
 * URLs, the user's credentials, each virtual stream's names there), and the same as environment
 * variables: those the nats CLI reads itself, and one pair per virtual stream.
 */
import type { AppCredentials } from "./jetstream/clientAuth";
import type { RegionAppConfig } from "./virtualStream";

export interface ApplicationConfig {
  region: string;
  /** The region's client URLs. */
  urls: string[];
  /** The user's credentials and, with TLS on, the CA: a secret. */
  credentials: AppCredentials;
  /** Per virtual stream: the name to consume and inspect, the subjects to publish on. */
  streams: Record<string, { stream: string; publishSubjects: string[] }>;
}

export interface ApplicationConfigArgs {
  region: string;
  credentials: AppCredentials;
  /** `VirtualStream.appConfig` of each virtual stream the application uses, by the virtual name. */
  virtualStreams: Record<string, Record<string, RegionAppConfig>>;
}

export function applicationConfig(args: ApplicationConfigArgs): ApplicationConfig {
  const names = Object.keys(args.virtualStreams).sort();
  if (names.length === 0) {
    throw new Error(
      "virtualStreams: give the application at least one (in this repository's stacks: " +
        "`applications[].virtualStreams` in the stack's config)",
    );
  }
  const missing = names.filter((name) => args.virtualStreams[name][args.region] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `region: "${args.region}" carries no virtual stream ${missing.map((n) => `"${n}"`).join(", ")}`,
    );
  }
  const here = names.map((name) => [name, args.virtualStreams[name][args.region]] as const);
  return {
    region: args.region,
    urls: here[0][1].clientUrls,
    credentials: args.credentials,
    streams: Object.fromEntries(
      here.map(([name, access]) => [
        name,
        { stream: access.consumeStream, publishSubjects: access.publishSubjects },
      ]),
    ),
  };
}

/** The files an application reads its `.creds` and CA from, where it gets paths rather than content. */
export interface CredentialFiles {
  creds?: string;
  ca?: string;
}

/**
 * `config` as environment variables: `NATS_URL`, `NATS_CREDS` (a path) or `NATS_USER` and
 * `NATS_PASSWORD`, `NATS_CA` (a path), as the nats CLI reads them; and per virtual stream
 * `NATS_STREAM_<NAME>` and `NATS_SUBJECTS_<NAME>` (comma-separated), `<NAME>` upper-cased with
 * anything but letters and digits as `_`.
 */
export function applicationEnv(config: ApplicationConfig, files: CredentialFiles): Record<string, string> {
  const env: Record<string, string> = { NATS_URL: config.urls.join(",") };
  if ("creds" in config.credentials) {
    if (files.creds === undefined) throw new Error("the user's .creds must be in a file for NATS_CREDS");
    env.NATS_CREDS = files.creds;
  } else {
    env.NATS_USER = config.credentials.user;
    env.NATS_PASSWORD = config.credentials.password;
  }
  if (config.credentials.ca !== undefined) {
    if (files.ca === undefined) throw new Error("the CA must be in a file for NATS_CA");
    env.NATS_CA = files.ca;
  }
  const named: Record<string, string> = {};
  for (const [name, stream] of Object.entries(config.streams)) {
    const key = name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
    if (named[key] !== undefined) {
      throw new Error(
        `virtual streams "${named[key]}" and "${name}" both become NATS_STREAM_${key}: use json`,
      );
    }
    named[key] = name;
    env[`NATS_STREAM_${key}`] = stream.stream;
    env[`NATS_SUBJECTS_${key}`] = stream.publishSubjects.join(",");
  }
  return env;
}
