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
} as const;

interface ApiErrorShape {
  code?: number;
  status?: number;
  message?: string;
  name?: string;
}

/** The JetStream err_code of an error from nats.js, if it is a JetStream API error. */
export function errCode(error: unknown): number | undefined {
  const e = error as ApiErrorShape;
  return e?.name === "JetStreamApiError" || e?.name?.endsWith("NotFoundError") ? e.code : undefined;
}

/**
 * Whether retrying may help: no meta leader yet (or a lost quorum), a request that timed out or
 * found no responder while servers restart.
 */
export function isTransient(error: unknown): boolean {
  const e = error as ApiErrorShape;
  if (errCode(error) === ErrCode.ClusterNotAvailable) return true;
  return ["TimeoutError", "NoRespondersError", "RequestError"].includes(e?.name ?? "");
}

const META_LEADER_HINT =
  "JetStream has no meta leader: creating or changing streams and consumers needs a majority of " +
  "the JetStream servers (in a super-cluster, servers in a majority of regions) to be up and " +
  "connected; publishing and consuming on existing streams keep working meanwhile. Bring the " +
  "missing servers back and run `pulumi up` again.";

export const HINTS: Record<number, string> = {
  [ErrCode.ClusterNotAvailable]: META_LEADER_HINT,
  [ErrCode.StreamNameInUse]:
    "a stream of this name already exists with another configuration and this stack does not " +
    "manage it: set `adopt: true` to take it over, or choose another name",
  [ErrCode.NoSuitablePeers]:
    "no servers match the placement: check placement.cluster and placement.tags, and that the " +
    "cluster has at least numReplicas servers with JetStream",
  [ErrCode.InsufficientResources]:
    "the servers lack the memory or storage reserved for this stream: lower maxBytes or raise the " +
    "servers' JetStream limits",
};

/** A message a user can act on: what, on which stream or consumer, the server's words and a hint. */
export function describe(what: string, error: unknown, hint?: string): Error {
  const e = error as ApiErrorShape;
  if (e?.message?.startsWith(`${what}: `)) return error as Error;
  const code = errCode(error);
  const detail = code !== undefined ? ` (err_code ${code}${e.status ? `, status ${e.status}` : ""})` : "";
  const text = `${what}: ${e?.message ?? String(error)}${detail}`;
  const help = hint ?? (code !== undefined ? HINTS[code] : isTransient(error) ? META_LEADER_HINT : undefined);
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

/** Runs `operation`, retrying transient failures with doubling delays; other errors fail at once. */
export async function withRetries<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  let delay = policy.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransient(error) || attempt >= policy.attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
}
