import * as pulumi from "@pulumi/pulumi";
import { renewalDue } from "../model/security/tls";
import { certificateExpiry, issueServerCertificate } from "./x509";

export interface ServerCertificateInputs {
  commonName: string;
  ipAddresses: string[];
  dnsNames: string[];
  validForMs: number;
  caCertPem: string;
  caKeyPem: string;
}

export interface ServerCertificateState extends ServerCertificateInputs {
  certPem: string;
  keyPem: string;
  /** ISO time the certificate expires: what a reader of the state or a preview sees first. */
  notAfter: string;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

async function issue(inputs: ServerCertificateInputs): Promise<ServerCertificateState> {
  const names = { ipAddresses: inputs.ipAddresses, dnsNames: inputs.dnsNames };
  const ca = { certPem: inputs.caCertPem, keyPem: inputs.caKeyPem };
  const issued = await issueServerCertificate(ca, inputs.commonName, names, inputs.validForMs);
  return { ...inputs, ...issued, notAfter: certificateExpiry(issued.certPem).toISOString() };
}

/**
 * A server's certificate, issued again (same resource, new key) when its names, its validity or
 * its CA change, and when two thirds of its life have passed: every `pulumi up` renews what is due.
 */
export const serverCertificateProvider: pulumi.dynamic.ResourceProvider<
  ServerCertificateInputs,
  ServerCertificateState
> = {
  async create(inputs) {
    return { id: inputs.commonName, outs: await issue(inputs) };
  },
  async diff(_id, olds, news) {
    const changed = (["commonName", "ipAddresses", "dnsNames", "validForMs", "caCertPem"] as const).filter(
      (key) => !sameJson(olds[key], news[key]),
    );
    const due = renewalDue(new Date(olds.notAfter), olds.validForMs, new Date());
    return { changes: changed.length > 0 || due };
  },
  async update(_id, _olds, news) {
    return { outs: await issue(news) };
  },
};

export type ServerCertificateArgs = {
  [K in keyof ServerCertificateInputs]: pulumi.Input<ServerCertificateInputs[K]>;
};

/** `pulumi-nodejs:credentials:ServerCertificate`. */
export class ServerCertificate extends pulumi.dynamic.Resource {
  declare readonly certPem: pulumi.Output<string>;
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: ServerCertificateArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      serverCertificateProvider,
      name,
      { ...args, certPem: undefined, keyPem: undefined, notAfter: undefined },
      { ...opts, additionalSecretOutputs: ["keyPem", "caKeyPem"] },
      "credentials",
      "ServerCertificate",
    );
  }
}
