/*
 * The claims of NATS JWTs (operator, account, user) as nats-server reads them (nats-io/jwt v2),
 * built here with every limit explicit: a claim the server finds absent counts as zero, and an
 * account without `conn` refuses every connection. Pure data; signing is in credentials/jwt.ts.
 */
import { AccountLinks, ServiceImport, StreamImport } from "../regionAccounts";

/** -1: no limit. */
export const UNLIMITED = -1;

export type JwtKind = "operator" | "account" | "user";

/** An export of an account JWT (nats-io/jwt v2 exports.go): public, as only this operator's accounts exist. */
export interface JwtExport {
  subject: string;
  type: "service" | "stream";
}

/**
 * An import of an account JWT (nats-io/jwt v2 imports.go): `subject` is the exporter's, and for a
 * service `local_subject` is what the importer publishes on.
 */
export interface JwtImport {
  subject: string;
  account: string;
  type: "service" | "stream";
  local_subject?: string;
}

/** JetStream limits of one replica tier (or of the whole account, untiered), in the JWT's words. */
export interface JwtJetStreamLimits {
  mem_storage: number;
  disk_storage: number;
  streams: number;
  consumer: number;
  max_ack_pending: number;
  mem_max_stream_bytes: number;
  disk_max_stream_bytes: number;
  max_bytes_required: boolean;
}

export interface AccountLimitsClaims extends JwtJetStreamLimits {
  subs: number;
  data: number;
  payload: number;
  imports: number;
  exports: number;
  wildcards: boolean;
  conn: number;
  leaf: number;
  /** Per replica tier ("R1", "R3"): replaces the untiered JetStream limits above when present. */
  tiered_limits?: Record<string, JwtJetStreamLimits>;
}

export interface OperatorClaims {
  type: "operator";
  version: 2;
  system_account: string;
}

export interface AccountClaims {
  type: "account";
  version: 2;
  limits: AccountLimitsClaims;
  exports?: JwtExport[];
  imports?: JwtImport[];
  /** User public key → revoked: users whose JWT was issued at or before this time (s) are refused. */
  revocations?: Record<string, number>;
}

export interface SubjectPermission {
  allow?: string[];
  deny?: string[];
}

export interface UserClaims {
  type: "user";
  version: 2;
  pub: SubjectPermission;
  sub: SubjectPermission;
  /** Lets the user answer requests on the reply subjects it receives (services). */
  resp?: { max: number; ttl: number };
  subs: number;
  data: number;
  payload: number;
}

export type NatsClaims = OperatorClaims | AccountClaims | UserClaims;

/** The JWT's claims around `nats`: who it is about, who signed it and when. */
export interface JwtClaims<T extends NatsClaims = NatsClaims> {
  jti: string;
  iat: number;
  iss: string;
  name: string;
  sub: string;
  nats: T;
}

/** JetStream limits of one tier; absent fields are unlimited. */
export interface TierLimits {
  /** Bytes of memory-backed streams (default unlimited). */
  memoryStore?: number;
  /** Bytes of file-backed streams (default unlimited). */
  fileStore?: number;
  streams?: number;
  consumers?: number;
}

export function jetStreamLimits(tier: TierLimits = {}): JwtJetStreamLimits {
  return {
    mem_storage: tier.memoryStore ?? UNLIMITED,
    disk_storage: tier.fileStore ?? UNLIMITED,
    streams: tier.streams ?? UNLIMITED,
    consumer: tier.consumers ?? UNLIMITED,
    max_ack_pending: UNLIMITED,
    mem_max_stream_bytes: 0,
    disk_max_stream_bytes: 0,
    max_bytes_required: false,
  };
}

const UNLIMITED_CORE = {
  subs: UNLIMITED,
  data: UNLIMITED,
  payload: UNLIMITED,
  imports: UNLIMITED,
  exports: UNLIMITED,
  wildcards: true,
  conn: UNLIMITED,
  leaf: UNLIMITED,
};

export const operatorClaims = (systemAccount: string): OperatorClaims => ({
  type: "operator",
  version: 2,
  system_account: systemAccount,
});

/**
 * An account's claims. `jetstream` false: no JetStream (the system account); tiers: limits per
 * replica count ("R1", "R3"), else JetStream without limits.
 */
export function accountClaims(jetstream: false | Record<string, TierLimits>): AccountClaims {
  const account = (limits: Omit<AccountLimitsClaims, keyof typeof UNLIMITED_CORE>): AccountClaims => ({
    type: "account",
    version: 2,
    limits: { ...UNLIMITED_CORE, ...limits },
  });
  // Untiered limits at zero mean no JetStream, unless tiers give it.
  const none = { ...jetStreamLimits(), mem_storage: 0, disk_storage: 0, streams: 0, consumer: 0 };
  if (jetstream === false) return account(none);
  const tiers = Object.entries(jetstream);
  if (tiers.length === 0) return account(jetStreamLimits());
  return account({
    ...none,
    tiered_limits: Object.fromEntries(tiers.map(([tier, limits]) => [tier, jetStreamLimits(limits)])),
  });
}

export const userClaims = (pub: SubjectPermission = {}, sub: SubjectPermission = {}): UserClaims => ({
  type: "user",
  version: 2,
  pub,
  sub,
  subs: UNLIMITED,
  data: UNLIMITED,
  payload: UNLIMITED,
});

/** The exports of `links` as the exporting account's JWT holds them. */
export function jwtExports(exports: AccountLinks["exports"]): JwtExport[] {
  return exports.map((e) =>
    "service" in e ? { subject: e.service, type: "service" } : { subject: e.stream, type: "stream" },
  );
}

/** An account's imports as its JWT holds them, the exporters named by their public keys. */
export function jwtImports(
  imports: (ServiceImport | StreamImport)[],
  publicKeyOf: (account: string) => string,
): JwtImport[] {
  return imports.map((i) =>
    "service" in i
      ? {
          subject: i.service.subject,
          account: publicKeyOf(i.service.account),
          type: "service",
          ...(i.to !== undefined ? { local_subject: i.to } : {}),
        }
      : { subject: i.stream.subject, account: publicKeyOf(i.stream.account), type: "stream" },
  );
}
