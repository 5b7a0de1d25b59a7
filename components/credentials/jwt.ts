/*
 * NKeys and signed NATS JWTs. Our own few lines over @nats-io/nkeys rather than @nats-io/jwt: that
 * library (0.0.x) leaves account limits absent, which the server reads as zero, and always stamps the current second as `iat`, where a pushed account JWT must be newer
 * than the one preloaded in the servers' config. nkeys is required inside the functions: they run
 * in dynamic providers after Pulumi's closure serializer, which must not capture modules by value.
 */
import * as crypto from "crypto";
import type { KeyPair } from "@nats-io/nkeys";
import { JwtClaims, JwtKind, NatsClaims } from "../model/security/claims";

const nkeys = () => require("@nats-io/nkeys") as typeof import("@nats-io/nkeys");

export interface NKey {
  publicKey: string;
  seed: string;
}

/** A new key pair of `kind` (public keys start with O, A or U). */
export function createNKey(kind: JwtKind): NKey {
  const lib = nkeys();
  const pair = { operator: lib.createOperator, account: lib.createAccount, user: lib.createUser }[kind]();
  return { publicKey: pair.getPublicKey(), seed: new TextDecoder().decode(pair.getSeed()) };
}

export const keyPair = (seed: string): KeyPair => nkeys().fromSeed(new TextEncoder().encode(seed));

export const publicKeyOf = (seed: string): string => keyPair(seed).getPublicKey();

const base64url = (data: string | Uint8Array): string => Buffer.from(data).toString("base64url");

/**
 * A JWT about `subject` (a public key), signed with `issuerSeed`. `notBefore` (s since the epoch)
 * makes `iat` at least that: a server keeps the JWT it holds when the new one is not newer.
 */
export function signJwt<T extends NatsClaims>(
  name: string,
  subject: string,
  claims: T,
  issuerSeed: string,
  notBefore = 0,
): string {
  const issuer = keyPair(issuerSeed);
  const body: Omit<JwtClaims<T>, "jti"> = {
    iat: Math.max(Math.floor(Date.now() / 1000), notBefore),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: claims,
  };
  const jti = crypto.createHash("sha512-256").update(JSON.stringify(body)).digest("base64url");
  const header = base64url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }));
  const payload = `${header}.${base64url(JSON.stringify({ jti, ...body }))}`;
  return `${payload}.${base64url(issuer.sign(new TextEncoder().encode(payload)))}`;
}

/** The claims of a JWT, unverified: for reading what servers hold. */
export function decodeJwt<T extends NatsClaims = NatsClaims>(jwt: string): JwtClaims<T> {
  const parts = jwt.split(".");
  if (parts.length !== 3) throw new Error("not a JWT: expected three dot-separated parts");
  return JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as JwtClaims<T>;
}

/** The `.creds` file of a user: its JWT and seed, as nats clients and the nats CLI read it. */
export function formatCreds(jwt: string, seed: string): string {
  return [
    "-----BEGIN NATS USER JWT-----",
    jwt,
    "------END NATS USER JWT------",
    "",
    "************************* IMPORTANT *************************",
    "NKEY Seed printed below can be used to sign and prove identity.",
    "NKEYs are sensitive and should be treated as secrets.",
    "",
    "-----BEGIN USER NKEY SEED-----",
    seed,
    "------END USER NKEY SEED------",
    "",
    "*************************************************************",
    "",
  ].join("\n");
}
