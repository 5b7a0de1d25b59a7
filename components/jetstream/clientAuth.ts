import type { ConnectionOptions } from "@nats-io/nats-core";
import type { UserCredentials } from "../model/serverConfig";

/** Static mode: a user and password. Operator mode: the content of a user's `.creds` file. */
export type AppCredentials = UserCredentials | { creds: string };

/** The nats.js connect options that present `credentials` (the stack output `credentials`). */
export function connectionAuth(
  credentials: AppCredentials,
): Pick<ConnectionOptions, "user" | "pass" | "authenticator"> {
  if ("creds" in credentials) {
    const core = require("@nats-io/nats-core") as typeof import("@nats-io/nats-core");
    return { authenticator: core.credsAuthenticator(new TextEncoder().encode(credentials.creds)) };
  }
  return { user: credentials.user, pass: credentials.password };
}
