/*
 * A local server's TLS files. Node built-ins only: serialized into the server provider.
 */
import * as fs from "fs";
import * as path from "path";
import { ServerTlsPems, TlsFiles } from "../../model/security/tls";

export function tlsFilePaths(dir: string): TlsFiles {
  const tlsDir = path.join(dir, "tls");
  return {
    caFile: path.join(tlsDir, "ca.pem"),
    certFile: path.join(tlsDir, "server.pem"),
    keyFile: path.join(tlsDir, "server-key.pem"),
  };
}

/**
 * Writes the PEM files readable by this user only, each through a rename: a server reloading at
 * that moment reads the old file or the new one, never half of one.
 */
export function writeTlsFiles(dir: string, pems: ServerTlsPems): void {
  const files = tlsFilePaths(dir);
  fs.mkdirSync(path.dirname(files.caFile), { recursive: true, mode: 0o700 });
  const contents: [string, string][] = [
    [files.caFile, pems.caPem],
    [files.certFile, pems.certPem],
    [files.keyFile, pems.keyPem],
  ];
  for (const [file, text] of contents) {
    fs.writeFileSync(`${file}.next`, text, { mode: 0o600 });
    fs.renameSync(`${file}.next`, file);
  }
}
