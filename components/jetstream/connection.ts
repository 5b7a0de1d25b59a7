/*
 * Connections of the JetStream providers. This code runs inside the dynamic-provider process after
 * Pulumi's closure serializer has carried it there: nats.js is required inside functions, never
 * captured, and connections live on globalThis so that every resource of one `pulumi up` shares one
 * connection per server set and identity.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { Authenticator, NatsConnection } from "@nats-io/nats-core";
import { UNREACHABLE } from "./errors";

/** How to reach JetStream. The credential fields are secrets: pass them as `pulumi.secret(...)`. */
export interface ConnectionSpec {
  servers: string[];
  user?: string;
  password?: string;
  token?: string;
  /** An NKey seed (`SU...`). */
  nkeySeed?: string;
  /** The content of a `.creds` file (user JWT and seed). */
  credentials?: string;
  /** A path to a `.creds` file, read on the machine that runs `pulumi up`. */
  credentialsFile?: string;
  /** PEM contents or file paths. */
  tls?: { ca?: string; cert?: string; key?: string; caFile?: string; certFile?: string; keyFile?: string };
  /** JetStream domain, or the raw API prefix (`$JS.<domain>.API`). */
  domain?: string;
  apiPrefix?: string;
  /** Default 5000: a server that does not answer fails the operation within this time. */
  connectTimeoutMs?: number;
  /** Default 10000: the time one JetStream API request may take. */
  requestTimeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Connects refused as unauthorized, and the pause between them: see `open`. */
const AUTH_ATTEMPTS = 3;
const AUTH_RETRY_DELAY_MS = 300;

export interface JetStreamSession {
  nc: NatsConnection;
  jsm: JetStreamManager;
}

type SessionCache = Map<string, Promise<JetStreamSession>>;

function sessions(): SessionCache {
  const holder = globalThis as { __natsGlobalSessions?: SessionCache };
  holder.__natsGlobalSessions ??= new Map();
  return holder.__natsGlobalSessions;
}

async function open(spec: ConnectionSpec): Promise<JetStreamSession> {
  const nats = require("@nats-io/transport-node") as typeof import("@nats-io/transport-node");
  const core = require("@nats-io/nats-core") as typeof import("@nats-io/nats-core");
  const js = require("@nats-io/jetstream") as typeof import("@nats-io/jetstream");
  const fs = require("fs") as typeof import("fs");
  const authenticators: Authenticator[] = [];
  if (spec.nkeySeed) authenticators.push(core.nkeyAuthenticator(new TextEncoder().encode(spec.nkeySeed)));
  const creds =
    spec.credentials ?? (spec.credentialsFile ? fs.readFileSync(spec.credentialsFile, "utf8") : undefined);
  if (creds) authenticators.push(core.credsAuthenticator(new TextEncoder().encode(creds)));
  const connect = () =>
    nats.connect({
      servers: spec.servers,
      name: "pulumi-nats-global",
      user: spec.user,
      pass: spec.password,
      token: spec.token,
      authenticator: authenticators.length > 0 ? authenticators : undefined,
      tls: spec.tls,
      timeout: spec.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      // Fail fast when nothing answers; once connected, ride out a server restart.
      reconnect: true,
      maxReconnectAttempts: 10,
    });
  let nc: NatsConnection;
  try {
    // A server that reloads a config changing accounts' imports or exports refuses a right password
    // now and then, for an instant (measured: 2 connects in 500 during back-to-back reloads): ask
    // again a few times, so that a wrong one is still refused within about a second.
    for (let attempt = 1; ; attempt++) {
      try {
        nc = await connect();
        break;
      } catch (e) {
        if (attempt >= AUTH_ATTEMPTS || !/authorization violation/i.test((e as Error).message)) throw e;
        await new Promise((resolve) => setTimeout(resolve, AUTH_RETRY_DELAY_MS));
      }
    }
  } catch (e) {
    const error = new Error(
      `cannot connect to NATS at ${spec.servers.join(", ")} within ` +
        `${spec.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS} ms: ${(e as Error).message}`,
    );
    error.name = UNREACHABLE;
    throw error;
  }
  const jsm = await js.jetstreamManager(nc, {
    // nats.js treats a present-but-undefined prefix as an empty one.
    ...(spec.domain !== undefined ? { domain: spec.domain } : {}),
    ...(spec.apiPrefix !== undefined ? { apiPrefix: spec.apiPrefix } : {}),
    timeout: spec.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    checkAPI: false,
  });
  return { nc, jsm };
}

/** The shared session for `spec`, opened on first use and again after it closed. */
export async function session(spec: ConnectionSpec): Promise<JetStreamSession> {
  const cache = sessions();
  const key = JSON.stringify(spec);
  const cached = cache.get(key);
  if (cached !== undefined) {
    const live = await cached.catch(() => undefined);
    if (live !== undefined && !live.nc.isClosed()) return live;
  }
  const opening = open(spec);
  cache.set(key, opening);
  opening.catch(() => cache.delete(key));
  return opening;
}

/** Closes every shared session; the provider process ends without it, a long-lived host should not. */
export async function closeAllSessions(): Promise<void> {
  const cache = sessions();
  const open = [...cache.values()];
  cache.clear();
  await Promise.all(open.map(async (s) => (await s.catch(() => undefined))?.nc.close()));
}
