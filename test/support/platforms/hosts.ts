/*
 * The names a cloud's DNS would serve (Route 53 records, external-dns, Kubernetes' cluster DNS), for
 * the platform tests: a hosts file of their own, which the servers they run and the Pulumi programs
 * they start see as /etc/hosts (a bind mount in a mount namespace of theirs), and which the tests
 * themselves resolve through `lookup`; this machine's /etc/hosts stays as it is. Lines are only
 * appended, each with one write: a reader never sees a half-written file.
 */
import * as dns from "dns";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export class Hosts {
  private readonly known = new Map<string, string>();
  readonly file: string;

  constructor() {
    this.file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-hosts-")), "hosts");
    fs.copyFileSync("/etc/hosts", this.file);
    // Readable by servers that run as an unprivileged user.
    fs.chmodSync(this.file, 0o644);
    fs.chmodSync(path.dirname(this.file), 0o755);
  }

  /** Makes `name` resolve to `address`; a name never moves to another address here. */
  add(name: string, address: string): void {
    const known = this.known.get(name);
    if (known === address) return;
    if (known !== undefined) throw new Error(`${name} already resolves to ${known}, not ${address}`);
    this.known.set(name, address);
    fs.appendFileSync(this.file, `${address} ${name}\n`);
  }

  /** The argv prefix that runs a command with this file as its /etc/hosts. */
  launcher(): string[] {
    return [
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "--",
      "bash",
      "-c",
      'mount --bind "$0" /etc/hosts && exec "$@"',
      this.file,
    ];
  }

  /** A `lookup` for Node's net, http and https: these names first, then the system's resolver. */
  readonly lookup: net.LookupFunction = (hostname, options, callback) => {
    const address = this.known.get(hostname);
    if (address === undefined) {
      dns.lookup(hostname, options, callback as never);
    } else if (options.all) {
      (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, [{ address, family: 4 }]);
    } else {
      callback(null, address, 4);
    }
  };

  remove(): void {
    fs.rmSync(path.dirname(this.file), { recursive: true, force: true });
  }
}
