import type { ConnectionOptions } from "@nats-io/nats-core";
import type { UserCredentials } from "../model/serverConfig";
import type { ConnectionSpec } from "./connection";

/**
 * What a client presents and trusts: in static mode a user and password, in operator mode the
 * content of a user's `.creds` file; with TLS on, the CA certificate (PEM) the servers' come from.
 */
export type AppCredentials = (UserCredentials | { creds: string }) & { ca?: string };

/** The nats.js connect options for `credentials` (the stack outputs `credentials` and `users`). */
export function connectionAuth(
  credentials: AppCredentials,
): Pick<ConnectionOptions, "user" | "pass" | "authenticator" | "tls"> {
  const tls = credentials.ca !== undefined ? { tls: { ca: credentials.ca } } : {};
  if ("creds" in credentials) {
    const core = require("@nats-io/nats-core") as typeof import("@nats-io/nats-core");
    return { authenticator: core.credsAuthenticator(new TextEncoder().encode(credentials.creds)), ...tls };
  }
  return { user: credentials.user, pass: credentials.password, ...tls };
}

/** `credentials` as the JetStream resources' connection fields take them, for any servers. */
export function connectionCredentials(credentials: AppCredentials): Omit<ConnectionSpec, "servers"> {
  return {
    ...("creds" in credentials
      ? { credentials: credentials.creds }
      : { user: credentials.user, password: credentials.password }),
    ...(credentials.ca !== undefined ? { tls: { ca: credentials.ca } } : {}),
  };
}
