/*
 * TLS of a super-cluster: which names a server's certificate must carry, how long certificates
 * live and when they are renewed, and the `tls` blocks of the server config. Pure planning: the
 * certificates themselves are made in credentials/.
 */
import { isIP } from "net";
import { Endpoint, isLoopback } from "../endpoints";
import { Duration, formatDuration, parseDuration } from "../durations";
import { ProblemList } from "../validation";

/** Where a server finds its PEM files; the platform writes them. */
export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A `tls` block of nats-server's config. */
export interface TlsBlock {
  ca_file: string;
  cert_file: string;
  key_file: string;
  /** Seconds a TLS handshake may take: a loaded server or a slow link takes more than the 2 s default. */
  timeout: number;
  /** Require and check a certificate from the peer (routes and gateways: mutual TLS). */
  verify?: boolean;
}

const HANDSHAKE_TIMEOUT_S = 10;

export const DEFAULT_CERTIFICATE_VALIDITY: Duration = "2160h";
/** The generated CA's life: server certificates are renewed many times over it. */
export const CA_VALIDITY_MS = 10 * 365 * 86_400_000;
const MIN_VALIDITY_MS = 3_600_000;

/** `pulumi up` issues a new certificate once this share of its validity has passed. */
const RENEW_AFTER_SHARE = 2 / 3;

export function tlsBlock(files: TlsFiles, verify: boolean): TlsBlock {
  return {
    ca_file: files.caFile,
    cert_file: files.certFile,
    key_file: files.keyFile,
    timeout: HANDSHAKE_TIMEOUT_S,
    ...(verify ? { verify: true } : {}),
  };
}

/**
 * Every address a client, route or gateway peer dials to reach the server: its host, the address it
 * binds (unless a wildcard) and the addresses it advertises. IPs and DNS names apart, as X.509 has it.
 * A server on loopback is also `localhost`: nats.js sends no server name for an IP, and Node then
 * checks the certificate against "localhost" instead of the address.
 */
export function serverAltNames(endpoint: Endpoint): { ipAddresses: string[]; dnsNames: string[] } {
  const hosts = [
    endpoint.host,
    endpoint.bind,
    endpoint.advertise?.client?.host,
    endpoint.advertise?.cluster?.host,
    endpoint.advertise?.gateway?.host,
    ...(endpoint.names ?? []),
  ]
    .filter((h): h is string => h !== undefined && h !== "0.0.0.0" && h !== "::")
    .filter((h, i, all) => all.indexOf(h) === i);
  const ipAddresses = hosts.filter((h) => isIP(h) !== 0);
  const dnsNames = hosts.filter((h) => isIP(h) === 0);
  if (ipAddresses.some(isLoopback) && !dnsNames.includes("localhost")) dnsNames.push("localhost");
  return { ipAddresses, dnsNames };
}

/** Milliseconds of `validity`, after adding a problem for `field` when it is not a duration of an hour or more. */
export function certificateValidityMs(validity: Duration, field: string, problems: ProblemList): number {
  const ns = parseDuration(validity);
  if (typeof ns === "string") {
    problems.add(field, ns);
    return 0;
  }
  if (ns < MIN_VALIDITY_MS * 1e6) {
    problems.add(
      field,
      `certificates must stay valid at least ${formatDuration(MIN_VALIDITY_MS * 1e6)} (got ${formatDuration(ns)}): ` +
        `they are renewed by \`pulumi up\`, so give them time between runs, e.g. "2160h"`,
    );
  }
  return ns / 1e6;
}

/** Whether a certificate that ends at `notAfter` and lives `validForMs` is due for renewal at `now`. */
export function renewalDue(notAfter: Date, validForMs: number, now: Date): boolean {
  return now.getTime() >= notAfter.getTime() - validForMs * (1 - RENEW_AFTER_SHARE);
}

/** What one server needs on disk for TLS, as PEM text: the key is a secret. */
export interface ServerTlsPems {
  caPem: string;
  certPem: string;
  keyPem: string;
}
