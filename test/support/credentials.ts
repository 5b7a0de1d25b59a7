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

const privateFiles = new Map<string, string>();
// Jest's sandboxed `process` never fires "exit" for a test file: the folders go with the file's tests.
afterAll(() => {
  for (const file of privateFiles.values()) fs.rmSync(path.dirname(file), { recursive: true, force: true });
  privateFiles.clear();
});

/** A file holding `text`, written once per content to a private folder removed after the test file's tests. */
function privateFile(name: string, text: string): string {
  let file = privateFiles.get(text);
  if (file === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-creds-"));
    file = path.join(dir, name);
    fs.writeFileSync(file, text, { mode: 0o600 });
    privateFiles.set(text, file);
  }
  return file;
}

/** The nats CLI's flags for `credentials`: the user, and with TLS the CA it verifies servers against. */
export function natsCliAuth(credentials: AppCredentials): string[] {
  const trust = credentials.ca !== undefined ? [`--tlsca=${privateFile("ca.pem", credentials.ca)}`] : [];
  if (!("creds" in credentials)) {
    return [`--user=${credentials.user}`, `--password=${credentials.password}`, ...trust];
  }
  return [`--creds=${privateFile("user.creds", credentials.creds)}`, ...trust];
}
