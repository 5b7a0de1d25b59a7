import { FieldProblem } from "../model/validation";
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

type WithConnection = { connection: ConnectionSpec; adopt?: boolean };

/**
 * The `check` of a JetStream resource: every problem of the spec named by its field, else the
 * canonical inputs (what state keeps and previews show). Unknown inputs wait for the real values.
 */
export function checkInputs<T extends WithConnection>(
  news: T,
  problems: (spec: Omit<T, "connection" | "adopt">) => FieldProblem[],
  canonical: (spec: Omit<T, "connection" | "adopt">) => object,
): { inputs?: T; failures?: { property: string; reason: string }[] } {
  if (containsUnknowns(news)) return { inputs: news };
  const { spec, connection, adopt } = splitInputs(news);
  const failures = problems(spec).map((p) => ({ property: p.field, reason: p.message }));
  if (!connection || !Array.isArray(connection.servers) || connection.servers.length === 0) {
    failures.push({ property: "connection.servers", reason: "give at least one NATS server URL" });
  }
  if (failures.length > 0) return { failures };
  return { inputs: { ...canonical(spec), connection, ...(adopt ? { adopt } : {}) } as T };
}

/** The `diff` of a JetStream resource: its own changes, and a new connection as an in-place change. */
export function diffInputs<T extends WithConnection>(
  olds: T,
  news: T,
  changes: (
    before: Omit<T, "connection" | "adopt">,
    after: Omit<T, "connection" | "adopt">,
  ) => {
    changed: string[];
    replaces: string[];
  },
) {
  const { changed, replaces } = changes(splitInputs(olds).spec, splitInputs(news).spec);
  const reconnect = JSON.stringify(olds.connection) !== JSON.stringify(news.connection);
  return { changes: changed.length > 0 || reconnect, replaces, deleteBeforeReplace: true };
}
