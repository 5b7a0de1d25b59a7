import { ConnectionSpec, session } from "./connection";
import { withRetries } from "./errors";

/**
 * Asks a stream's leader to step down. A new leader sets every source and mirror up again at once,
 * from the position the stream stored, with no backoff (stream.go). An R1 stream has no peer to
 * lead instead: the server answers success and nothing changes.
 */
export async function stepDown(stream: { name: string; connection: ConnectionSpec }): Promise<void> {
  const { nc, jsm } = await session(stream.connection);
  // The API prefix nats.js resolved from the connection's domain or apiPrefix.
  const prefix = jsm.getOptions().apiPrefix;
  const reply = await withRetries(() => nc.request(`${prefix}.STREAM.LEADER.STEPDOWN.${stream.name}`));
  const error = (reply.json() as { error?: { description?: string } }).error;
  if (error !== undefined) throw new Error(`leader step-down refused: ${error.description}`);
}
