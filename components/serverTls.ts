import * as pulumi from "@pulumi/pulumi";
import { CertificateAuthority } from "./credentials/certificateAuthority";
import { ServerCertificate } from "./credentials/serverCertificate";
import { caProblems } from "./credentials/x509";
import { Addressing } from "./model/endpoints";
import { Duration } from "./model/durations";
import { ServerPlan } from "./model/plan";
import {
  certificateValidityMs,
  DEFAULT_CERTIFICATE_VALIDITY,
  serverAltNames,
  ServerTlsPems,
} from "./model/security/tls";
import { problemList } from "./model/validation";

/** TLS on every client, route and gateway link; routes and gateways check each other's certificate. */
export interface TlsArgs {
  /**
   * How long each server certificate is valid (default "2160h", 90 days). `pulumi up` issues new
   * ones when this changes and once two thirds of it have passed; servers reload them, no restart.
   */
  validity?: Duration;
  /** Your own CA (PEM), as secrets; a CA is generated and kept in state when left out. */
  ca?: { cert: pulumi.Input<string>; key: pulumi.Input<string> };
}

/** The CA clients trust, and each server's certificate from it. */
export interface ServerTls {
  caPem: pulumi.Output<string>;
  /** Server name → what the server puts on disk. */
  pems: Map<string, pulumi.Output<ServerTlsPems>>;
}

/** The validity in ms, after checking every field of `args`; fails naming each bad one. */
function checkedTlsArgs(args: TlsArgs): number {
  const problems = problemList();
  const ms = certificateValidityMs(
    args.validity ?? DEFAULT_CERTIFICATE_VALIDITY,
    "security.tls.validity",
    problems,
  );
  if ((args.ca?.cert === undefined) !== (args.ca?.key === undefined)) {
    problems.add("security.tls.ca", "give both cert and key of your CA, or neither to have one generated");
  }
  problems.throwIfAny("security.tls");
  return ms;
}

function givenCa(ca: Required<TlsArgs>["ca"]): {
  certPem: pulumi.Output<string>;
  keyPem: pulumi.Output<string>;
} {
  const checked = pulumi.all([ca.cert, ca.key]).apply(([certPem, keyPem]) => {
    const problems = problemList();
    for (const p of caProblems(certPem, keyPem)) problems.add(`security.tls.ca.${p.field}`, p.message);
    problems.throwIfAny("security.tls.ca");
    return { certPem, keyPem };
  });
  return { certPem: checked.certPem, keyPem: pulumi.secret(checked.keyPem) };
}

/**
 * Certificates for the servers of `name`: from the given CA or one made for the stack, each naming
 * every address its peers and clients dial (see serverAltNames).
 */
export function createServerTls(
  name: string,
  args: TlsArgs,
  servers: ServerPlan[],
  addressing: Addressing,
  parent: pulumi.Resource,
): ServerTls {
  const validForMs = checkedTlsArgs(args);
  const ca =
    args.ca !== undefined
      ? givenCa(args.ca)
      : new CertificateAuthority(`${name}-ca`, `${name} NATS CA`, { parent });
  const pems = servers.map((server) => {
    const cert = new ServerCertificate(
      `${name}-${server.name}-cert`,
      {
        commonName: server.name,
        ...serverAltNames(addressing(server)),
        validForMs,
        caCertPem: ca.certPem,
        caKeyPem: ca.keyPem,
      },
      { parent },
    );
    const serverPems = pulumi
      .all([ca.certPem, cert.certPem, cert.keyPem])
      .apply(([caPem, certPem, keyPem]) => ({ caPem, certPem, keyPem }));
    return [server.name, serverPems] as const;
  });
  return { caPem: ca.certPem, pems: new Map(pems) };
}
