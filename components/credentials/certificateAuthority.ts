import * as pulumi from "@pulumi/pulumi";
import { CA_VALIDITY_MS } from "../model/security/tls";
import { createCertificateAuthority } from "./x509";

interface CertificateAuthorityInputs {
  commonName: string;
}

interface CertificateAuthorityState extends CertificateAuthorityInputs {
  certPem: string;
  keyPem: string;
}

/**
 * A CA made once and kept (its key encrypted) in state: every server certificate, and every
 * client that trusts the stack, depends on it, so nothing but a new name replaces it.
 */
export const certificateAuthorityProvider: pulumi.dynamic.ResourceProvider<
  CertificateAuthorityInputs,
  CertificateAuthorityState
> = {
  async create(inputs) {
    const ca = await createCertificateAuthority(inputs.commonName, CA_VALIDITY_MS);
    return { id: inputs.commonName, outs: { ...inputs, ...ca } };
  },
  async diff(_id, olds, news) {
    const changed = olds.commonName !== news.commonName;
    return { changes: changed, replaces: changed ? ["commonName"] : [] };
  },
};

/** `pulumi-nodejs:credentials:CertificateAuthority`: the stack's own CA, when the user gives none. */
export class CertificateAuthority extends pulumi.dynamic.Resource {
  declare readonly certPem: pulumi.Output<string>;
  declare readonly keyPem: pulumi.Output<string>;

  constructor(name: string, commonName: string, opts?: pulumi.CustomResourceOptions) {
    super(
      certificateAuthorityProvider,
      name,
      { commonName, certPem: undefined, keyPem: undefined },
      { ...opts, additionalSecretOutputs: ["keyPem"] },
      "credentials",
      "CertificateAuthority",
    );
  }
}
