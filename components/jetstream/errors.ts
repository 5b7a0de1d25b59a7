/** JetStream API error codes this package reacts to (nats-server's errors.json). */
export const ErrCode = {
  ClusterNotAvailable: 10008,
  NoSuitablePeers: 10005,
  StreamNotFound: 10059,
  ConsumerNotFound: 10014,
  ConsumerExists: 10148,
  StreamNameInUse: 10058,
  SubjectsOverlap: 10065,
  UpdateNotAllowed: 10052,
  MirrorUpdateNotAllowed: 10055,
  InsufficientResources: 10023,
  NotEnabledForAccount: 10039,
} as const;

interface ApiErrorShape {
  code?: number;
  status?: number;
  message?: string;
  name?: string;
  cause?: ApiErrorShape;
}

/** nats.js's name both for err_code 10039 (wrapping the API error) and for a request no one answered. */
const NOT_ENABLED = "JetStreamNotEnabled";

/** The JetStream err_code of an error from nats.js, if it is a JetStream API error. */
export function errCode(error: unknown): number | undefined {
  const e = error as ApiErrorShape;
  if (e?.name === NOT_ENABLED) return errCode(e.cause);
  return e?.name === "JetStreamApiError" || e?.name?.endsWith("NotFoundError") ? e.code : undefined;
}

/**
 * A JetStream API request that found no responder. Servers leave the API without responders for a
 * moment while they start, or reload a config that changes an account (as applying another virtual
 * stream's account links does).
 */
function isWithoutResponder(error: unknown): boolean {
  return (error as ApiErrorShape)?.name === NOT_ENABLED && errCode(error) === undefined;
}

/**
 * Whether retrying may help: no meta leader yet (or a lost quorum), a request that timed out or
 * found no responder while servers restart or reload.
 */
export function isTransient(error: unknown): boolean {
  const e = error as ApiErrorShape;
  if (errCode(error) === ErrCode.ClusterNotAvailable) return true;
  if (isWithoutResponder(error)) return true;
  return ["TimeoutError", "NoRespondersError", "RequestError"].includes(e?.name ?? "");
}

const META_LEADER_HINT =
  "JetStream has no meta leader: creating or changing streams and consumers needs a majority of " +
  "the JetStream servers (in a super-cluster, servers in a majority of regions) to be up and " +
  "connected; publishing and consuming on existing streams keep working meanwhile. Bring the " +
  "missing servers back and run `pulumi up` again.";

const NO_RESPONDER_HINT =
  "no server answered the JetStream API: check connection.domain and connection.apiPrefix against " +
  "the servers' JetStream domain; servers that kept restarting or reloading their config for the " +
  "whole retry period answer like this too";

export const HINTS: Record<number, string> = {
  [ErrCode.ClusterNotAvailable]: META_LEADER_HINT,
  [ErrCode.StreamNameInUse]:
    "a stream of this name already exists with another configuration and this stack does not " +
    "manage it: set `adopt: true` to take it over, or choose another name",
  [ErrCode.NoSuitablePeers]:
    "no servers match the placement (asked again for 15 s, while servers that just started " +
    "announce themselves): check placement.cluster and placement.tags, and that the cluster has " +
    "at least numReplicas servers with JetStream",
  [ErrCode.InsufficientResources]:
    "the servers lack the memory or storage reserved for this stream: lower maxBytes or raise the " +
    "servers' JetStream limits",
  [ErrCode.NotEnabledForAccount]:
    "the connection's user belongs to an account without JetStream: connect as a user of the " +
    "application account, or enable JetStream for this account in the servers' config",
};

function transientHint(error: unknown): string | undefined {
  if (isWithoutResponder(error)) return NO_RESPONDER_HINT;
  return isTransient(error) ? META_LEADER_HINT : undefined;
}

/** A message a user can act on: what, on which stream or consumer, the server's words and a hint. */
export function describe(what: string, error: unknown, hint?: string): Error {
  const e = error as ApiErrorShape;
  if (e?.message?.startsWith(`${what}: `)) return error as Error;
  const code = errCode(error);
  const detail = code !== undefined ? ` (err_code ${code}${e.status ? `, status ${e.status}` : ""})` : "";
  const text = `${what}: ${e?.message ?? String(error)}${detail}`;
  const help = hint ?? (code !== undefined ? HINTS[code] : transientHint(error));
  return new Error(help ? `${text}\n  hint: ${help}` : text);
}

export interface RetryPolicy {
  attempts: number;
  firstDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, firstDelayMs: 500 };
/** Refresh only looks: it does not wait long for what is not there. */
export const READ_RETRY: RetryPolicy = { attempts: 2, firstDelayMs: 500 };

/**
 * Whether the error says the servers cannot be reached or cannot answer now (as opposed to an
 * answer): refresh then keeps the last known state instead of failing.
 */
export function isUnreachable(error: unknown): boolean {
  return isTransient(error) || (error as ApiErrorShape)?.name === UNREACHABLE;
}

export const UNREACHABLE = "NatsUnreachableError";

/**
 * Whether placing a new stream may succeed on a retry: a server counts for placement only once the
 * meta leader has its statistics, which servers announce over `$SYS` every 10 s at most; right
 * after start-up, or across a slow link, some have not yet (err_code 10005 meanwhile).
 */
const isTransientPlacement = (error: unknown): boolean =>
  isTransient(error) || errCode(error) === ErrCode.NoSuitablePeers;

/**
 * With JWT accounts (operator mode) a server loads an account when first asked for it, and one
 * fresh-clone run saw a stream create answered "JetStream not enabled for account" (10039) right
 * after the servers and the account's JetStream limits were in place; asked again, it works.
 * Password accounts (static mode) are in every server's config from the start: there, 10039 is a
 * lasting misconfiguration and fails at once.
 */
export function retryableCreate(connection: { credentials?: string; credentialsFile?: string }) {
  const jwtAccount = connection.credentials !== undefined || connection.credentialsFile !== undefined;
  return (error: unknown): boolean =>
    isTransientPlacement(error) || (jwtAccount && errCode(error) === ErrCode.NotEnabledForAccount);
}

/**
 * Runs `operation`, retrying failures that `retryable` accepts (transient ones by default) with
 * doubling delays; other errors fail at once.
 */
export async function withRetries<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  retryable: (error: unknown) => boolean = isTransient,
): Promise<T> {
  let delay = policy.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!retryable(error) || attempt >= policy.attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
}
