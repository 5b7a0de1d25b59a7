import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { AppCredentials } from "../../components/jetstream/clientAuth";

/** What must never appear in plaintext: the password, or the seed of a `.creds` file. */
export function secretOf(credentials: AppCredentials): string {
  if (!("creds" in credentials)) return credentials.password;
  const seed = credentials.creds.split("\n").find((line) => /^SU[A-Z2-7]{50,}$/.test(line));
  if (seed === undefined) throw new Error("the creds hold no user seed");
  return seed;
}

/** The nats CLI's flags for `credentials`; a `.creds` file goes to a private temporary folder. */
export function natsCliAuth(credentials: AppCredentials): string[] {
  if (!("creds" in credentials)) return [`--user=${credentials.user}`, `--password=${credentials.password}`];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-creds-"));
  const file = path.join(dir, "app.creds");
  fs.writeFileSync(file, credentials.creds, { mode: 0o600 });
  return [`--creds=${file}`];
}
