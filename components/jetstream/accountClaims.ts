/*
 * Changes an account JWT on the servers of a super-cluster in operator mode, over NATS: the JWT the
 * servers hold is read, this owner's part replaced, the result signed by the operator and pushed on
 * `$SYS.REQ.CLAIMS.UPDATE`, which every server with a `full` resolver stores; then every server is
 * asked which JWT it holds until all hold the new one. No config file, no reload, no restart, the
 * same on every platform.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { decodeJwt, signJwt } from "../credentials/jwt";
import { AccountPart, applyAccountPart } from "../model/security/accountParts";
import { AccountClaims } from "../model/security/claims";
import { ConnectionSpec, session } from "./connection";
import { withRetries } from "./errors";

export interface AccountTarget {
  name: string;
  publicKey: string;
  /** Account JWTs are signed by the operator. */
  operatorSeed: string;
  /** A user of the system account: lookups and pushes go over `$SYS`. */
  connection: ConnectionSpec;
  /** How many servers must hold a pushed JWT before it counts as applied. */
  servers: number;
}

const SPREAD_TIMEOUT_MS = 30_000;
const REPLY_WAIT_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function systemConnection(target: AccountTarget): Promise<NatsConnection> {
  return (await session(target.connection)).nc;
}

/** The account JWT the servers hold (any of them answers). */
export async function lookupAccountJwt(target: AccountTarget): Promise<string> {
  const nc = await systemConnection(target);
  const reply = await withRetries(() =>
    nc.request(`$SYS.REQ.ACCOUNT.${target.publicKey}.CLAIMS.LOOKUP`, undefined, { timeout: REPLY_WAIT_MS }),
  );
  const jwt = reply.string();
  if (!jwt.startsWith("ey")) {
    throw new Error(`account ${target.name} (${target.publicKey}): the servers hold no JWT for it: ${jwt}`);
  }
  return jwt;
}

interface PushAnswer {
  server: { name: string };
  data?: { code?: number; message?: string };
  error?: { code?: number; description?: string };
}

/** The replies of every server (up to `target.servers` of them) to one request on `$SYS`. */
async function askEveryServer(target: AccountTarget, subject: string, payload?: string): Promise<string[]> {
  const nc = await systemConnection(target);
  const answers: string[] = [];
  const replies = await nc.requestMany(subject, payload, {
    strategy: "count",
    maxMessages: target.servers,
    maxWait: REPLY_WAIT_MS,
  });
  for await (const reply of replies) answers.push(reply.string());
  return answers;
}

/**
 * How many servers hold exactly `jwt` for the account, out of those that answered: every server
 * with a `full` resolver answers a lookup with the JWT it stores.
 */
async function serversHolding(
  target: AccountTarget,
  jwt: string,
): Promise<{ holding: number; answered: number }> {
  const answers = await askEveryServer(target, `$SYS.REQ.ACCOUNT.${target.publicKey}.CLAIMS.LOOKUP`);
  return { holding: answers.filter((a) => a === jwt).length, answered: answers.length };
}

/** Pushes `jwt` and waits until every server holds it; fails naming the servers that do not. */
async function pushEverywhere(target: AccountTarget, jwt: string): Promise<void> {
  const answers = (await askEveryServer(target, "$SYS.REQ.CLAIMS.UPDATE", jwt)).map(
    (text) => JSON.parse(text) as PushAnswer,
  );
  const refused = answers.filter((a) => (a.data?.code ?? a.error?.code) !== 200);
  if (refused.length > 0) {
    const reasons = refused.map((a) => `${a.server.name}: ${a.error?.description ?? a.data?.message}`);
    throw new Error(`account ${target.name}: servers refused the new JWT: ${reasons.join("; ")}`);
  }
  // Servers that missed the push (cut off meanwhile) fetch it from the others; wait for all.
  const deadline = Date.now() + SPREAD_TIMEOUT_MS;
  let last = { holding: 0, answered: 0 };
  while (Date.now() < deadline) {
    last = await serversHolding(target, jwt);
    if (last.holding >= target.servers) return;
    await sleep(250);
  }
  throw new Error(
    `account ${target.name}: ${last.holding} of ${target.servers} servers hold the new JWT after ` +
      `${SPREAD_TIMEOUT_MS / 1000} s (${last.answered} answered); the others get it once they reach ` +
      "the rest: run `pulumi up` again to check",
  );
}

/**
 * Runs `work` after every earlier change of the account has ended: parts of one account are changed
 * concurrently by one `pulumi up`, and each read-modify-write must see the one before. Every
 * dynamic resource of an `up` runs in the one provider process (hence a chain on globalThis, as
 * the shared sessions), and Pulumi's stack lock keeps other `up`s of the stack out.
 */
function afterEarlierChanges(publicKey: string, work: () => Promise<void>): Promise<void> {
  const holder = globalThis as { __natsGlobalAccountChanges?: Map<string, Promise<void>> };
  holder.__natsGlobalAccountChanges ??= new Map();
  const chains = holder.__natsGlobalAccountChanges;
  const run = (chains.get(publicKey) ?? Promise.resolve()).then(work);
  chains.set(
    publicKey,
    run.catch(() => undefined),
  );
  return run;
}

/** Replaces `previous` by `next` in the account JWT the servers hold and puts it on every server. */
export function changeAccountPart(
  target: AccountTarget,
  previous: AccountPart | undefined,
  next: AccountPart | undefined,
): Promise<void> {
  return afterEarlierChanges(target.publicKey, async () => {
    const held = decodeJwt<AccountClaims>(await lookupAccountJwt(target));
    const claims = applyAccountPart(held.nats, previous, next);
    // Newer than what the servers hold, even within the same second: a server keeps the newer one.
    const jwt = signJwt(target.name, target.publicKey, claims, target.operatorSeed, held.iat + 1);
    await pushEverywhere(target, jwt);
  });
}
