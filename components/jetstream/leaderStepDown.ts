import { ConnectionSpec, DEFAULT_REQUEST_TIMEOUT_MS, session } from "./connection";
import { withRetries } from "./errors";

interface SteppedStream {
  name: string;
  connection: ConnectionSpec;
}

/**
 * Asks a stream's leader to step down, once. A new leader sets every source and mirror up again
 * at once, from the position the stream stored, with no backoff (stream.go). An R1 stream has no
 * peer to lead instead: the server answers success and nothing changes. Not idempotent: asked
 * again after a lost answer, it would step down the leader just elected.
 */
export async function stepDownOnce(stream: SteppedStream): Promise<void> {
  const { nc, jsm } = await session(stream.connection);
  // The API prefix nats.js resolved from the connection's domain or apiPrefix.
  const prefix = jsm.getOptions().apiPrefix;
  const reply = await nc.request(`${prefix}.STREAM.LEADER.STEPDOWN.${stream.name}`, undefined, {
    timeout: stream.connection.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  });
  const error = (reply.json() as { error?: { description?: string } }).error;
  if (error !== undefined) throw new Error(`leader step-down refused: ${error.description}`);
}

/** The same, asked again while JetStream answers with a transient error (no meta leader yet). */
export const stepDown = (stream: SteppedStream): Promise<void> => withRetries(() => stepDownOnce(stream));
