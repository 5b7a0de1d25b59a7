import { ConnectionSpec } from "./connection";

/** How the engine passes a value that is not known yet (during preview) to a dynamic provider. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether any input is unknown; `__provider` is skipped, as its source text holds this very marker. */
export function containsUnknowns(inputs: object): boolean {
  return JSON.stringify(inputs, (key, value) => (key === "__provider" ? undefined : value)).includes(UNKNOWN);
}

/**
 * Separates a JetStream resource's own fields from how to reach it (`connection`), the `adopt` flag
 * and the engine's `__provider`.
 */
export function splitInputs<T extends { connection: ConnectionSpec; adopt?: boolean }>(
  inputs: T,
): { spec: Omit<T, "connection" | "adopt">; connection: ConnectionSpec; adopt: boolean } {
  const { connection, adopt, ...rest } = inputs;
  delete (rest as Record<string, unknown>).__provider;
  return { spec: rest, connection, adopt: adopt === true };
}
