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

const credsFiles = new Map<string, string>();

/**
 * The nats CLI's flags for `credentials`; a `.creds` file is written once per content to a private
 * temporary folder, removed when the test process exits.
 */
export function natsCliAuth(credentials: AppCredentials): string[] {
  if (!("creds" in credentials)) return [`--user=${credentials.user}`, `--password=${credentials.password}`];
  let file = credsFiles.get(credentials.creds);
  if (file === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-creds-"));
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    file = path.join(dir, "user.creds");
    fs.writeFileSync(file, credentials.creds, { mode: 0o600 });
    credsFiles.set(credentials.creds, file);
  }
  return [`--creds=${file}`];
}
