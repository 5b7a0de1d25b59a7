/*
 * What a VM's server reads from disk besides its binary (its config and PEMs), as one bundle that
 * the machine fetches from its cloud's secret store: so that no key is in instance metadata, and so
 * that a new config or certificate reaches a running server without a new machine. The bundle's
 * digest goes into the config as server metadata, which the server reports once it runs that
 * config: how the stack tells that a server has taken a change. Pure.
 */
import { NatsServerConfig, withFilesDigest, withLameDuck } from "../../model/serverConfig";
import { ServerTlsPems } from "../../model/security/tls";
import { VmLayout, vmFiles } from "./layout";

/** The secret stores' limit on a secret's value: 64 KiB on AWS Secrets Manager and GCP Secret Manager. */
export const SECRET_VALUE_LIMIT = 64 * 1024;

export interface ServerFileBundle {
  /** Identifies the files' contents: the server reports it in its varz metadata once it runs them. */
  digest: string;
  /** By path on the machine: the content and the mode to write it with (owned by the server's user). */
  files: Record<string, { content: string; mode: string }>;
}

/** The bundle of a server's files; throws when it would not fit in a secret. */
export function serverFileBundle(
  server: string,
  config: NatsServerConfig,
  pems: ServerTlsPems | undefined,
  layout: VmLayout,
): ServerFileBundle {
  const tls = vmFiles(layout, true).tls;
  const pemFiles: Record<string, { content: string; mode: string }> =
    pems !== undefined && tls !== undefined
      ? {
          [tls.caFile]: { content: pems.caPem, mode: "0644" },
          [tls.certFile]: { content: pems.certPem, mode: "0644" },
          [tls.keyFile]: { content: pems.keyPem, mode: "0600" },
        }
      : {};
  const served = withFilesDigest(withLameDuck(config), pemFiles);
  const bundle: ServerFileBundle = {
    digest: served.digest,
    files: {
      [layout.configFile]: { content: JSON.stringify(served.config, null, 2), mode: "0640" },
      ...pemFiles,
    },
  };
  const size = Buffer.byteLength(JSON.stringify(bundle), "utf8");
  if (size > SECRET_VALUE_LIMIT) {
    throw new Error(
      `server ${server}: its config and certificates are ${size} bytes, over the secret stores' limit of ` +
        `${SECRET_VALUE_LIMIT}: its config grows with the servers it routes to and the gateways it knows; ` +
        "run fewer servers in its cluster or fewer regions",
    );
  }
  return bundle;
}
