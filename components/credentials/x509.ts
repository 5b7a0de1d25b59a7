/*
 * X.509 certificates for TLS between servers and clients: a CA and server certificates with
 * ECDSA P-256 keys. @peculiar/x509 builds and signs them over Node's WebCrypto (native key
 * generation, a few ms per certificate); node-forge knows only RSA, whose keys it generates in
 * JavaScript, and Node's own crypto parses certificates but cannot make them. The library resolves
 * its encoders through tsyringe, which needs the Reflect metadata polyfill loaded first. Both are
 * required inside the functions: they run in dynamic providers after Pulumi's closure serializer.
 */
import * as crypto from "crypto";

type CryptoKey = crypto.webcrypto.CryptoKey;
type CryptoKeyPair = crypto.webcrypto.CryptoKeyPair;

const x509 = () => {
  require("reflect-metadata");
  return require("@peculiar/x509") as typeof import("@peculiar/x509");
};

const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" };
/** Backdated so that a peer whose clock runs a little behind already accepts a new certificate. */
const BACKDATE_MS = 5 * 60_000;

export interface PemPair {
  certPem: string;
  keyPem: string;
}

/** Where a server is reached: every address a peer or client dials must be in its certificate. */
export interface SubjectAltNames {
  ipAddresses: string[];
  dnsNames: string[];
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await crypto.webcrypto.subtle.generateKey(KEY_ALGORITHM, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.webcrypto.subtle.exportKey("pkcs8", key);
  return crypto.createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" }).export({
    format: "pem",
    type: "pkcs8",
  }) as string;
}

const serialNumber = (): string => {
  // Positive: the high bit of the first byte clear.
  const bytes = crypto.randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString("hex");
};

function validity(validForMs: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + validForMs) };
}

/** A self-signed CA that may sign server certificates only (path length 0). */
export async function createCertificateAuthority(commonName: string, validForMs: number): Promise<PemPair> {
  const lib = x509();
  const keys = await newKeys();
  const cert = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    ...validity(validForMs),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new lib.BasicConstraintsExtension(true, 0, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.cRLSign, true),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey) };
}

/**
 * A certificate for one server, signed by `ca`, valid as a TLS server (clients, incoming routes and
 * gateways) and as a TLS client (the routes and gateways it dials, which verify it in turn).
 */
export async function issueServerCertificate(
  ca: PemPair,
  commonName: string,
  names: SubjectAltNames,
  validForMs: number,
): Promise<PemPair> {
  const lib = x509();
  const caCert = new lib.X509Certificate(ca.certPem);
  const caKey = await crypto.webcrypto.subtle.importKey(
    "pkcs8",
    crypto.createPrivateKey(ca.keyPem).export({ format: "der", type: "pkcs8" }),
    caCert.publicKey.algorithm,
    false,
    ["sign"],
  );
  const keys = await newKeys();
  const cert = await lib.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${commonName}`,
    issuer: caCert.subject,
    ...validity(validForMs),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new lib.BasicConstraintsExtension(false, undefined, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true),
      new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.serverAuth, lib.ExtendedKeyUsage.clientAuth]),
      new lib.SubjectAlternativeNameExtension([
        ...names.ipAddresses.map((value) => ({ type: "ip" as const, value })),
        ...names.dnsNames.map((value) => ({ type: "dns" as const, value })),
      ]),
      await lib.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey) };
}

/** When a certificate expires, as Node reads it. */
export const certificateExpiry = (certPem: string): Date =>
  new Date(new crypto.X509Certificate(certPem).validTo);

/** What is wrong with a CA a user gives, per field, or nothing: checked before anything is issued. */
export function caProblems(certPem: string, keyPem: string): { field: "cert" | "key"; message: string }[] {
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(certPem);
  } catch (e) {
    return [{ field: "cert", message: `is not a PEM certificate (${(e as Error).message})` }];
  }
  const problems: { field: "cert" | "key"; message: string }[] = [];
  if (!cert.ca)
    problems.push({ field: "cert", message: `${cert.subject} is not a CA (basicConstraints CA:FALSE)` });
  if (new Date(cert.validTo).getTime() <= Date.now()) {
    problems.push({ field: "cert", message: `expired on ${cert.validTo}: give a CA that is still valid` });
  }
  try {
    if (!cert.checkPrivateKey(crypto.createPrivateKey(keyPem))) {
      problems.push({
        field: "key",
        message: "does not belong to the CA certificate: give the key of that certificate",
      });
    }
  } catch (e) {
    problems.push({ field: "key", message: `is not a PEM private key (${(e as Error).message})` });
  }
  return problems;
}
