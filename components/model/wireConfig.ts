/*
 * JetStream's JSON uses snake_case keys; Pulumi inputs use camelCase. The mapping is mechanical,
 * except inside `metadata`, whose keys are the user's own.
 */
import { Duration, formatDuration, parseDuration } from "./durations";

export const snakeToCamel = (key: string): string =>
  key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const camelToSnake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const VERBATIM_UNDER: readonly string[] = ["metadata"];

/** Renames every key of a JSON value with `rename`, leaving the keys under `metadata` as they are. */
export function renameKeys(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => renameKeys(item, rename));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      rename(key),
      VERBATIM_UNDER.includes(key) ? inner : renameKeys(inner, rename),
    ]),
  );
}

/** Whether a value carries nothing: undefined, null, an empty string, array or object. */
export function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

/** A deep copy with empty values dropped from objects (arrays keep their items). */
export function withoutEmpty<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutEmpty) as T;
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value)
    .map(([key, inner]) => [key, withoutEmpty(inner)] as const)
    .filter(([, inner]) => !isEmpty(inner));
  return Object.fromEntries(entries) as T;
}

export type WireConfig = Record<string, unknown>;

/** Applies `convert` to the values of the duration fields named in `durationKeys`, at any depth. */
export function mapDurations(
  value: unknown,
  durationKeys: readonly string[],
  convert: (v: unknown) => unknown,
): unknown {
  if (Array.isArray(value)) return value.map((item) => mapDurations(item, durationKeys, convert));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => {
      if (durationKeys.includes(key)) {
        return [
          key,
          Array.isArray(inner) ? inner.map(convert) : inner === undefined ? inner : convert(inner),
        ];
      }
      return [key, VERBATIM_UNDER.includes(key) ? inner : mapDurations(inner, durationKeys, convert)];
    }),
  );
}

/** Keeps the managed fields, without values equal to the server's defaults or the server's own metadata. */
export function withoutDefaults(
  config: WireConfig,
  fields: readonly string[],
  defaults: WireConfig,
): WireConfig {
  const out: WireConfig = {};
  for (const key of fields) {
    const value = config[key];
    if (value !== undefined && value !== null && value !== defaults[key]) out[key] = value;
  }
  if (out.metadata !== undefined) {
    // `_nats.ver`, `_nats.level`...: the server's, never the user's, never drift.
    const entries = Object.entries(out.metadata as Record<string, string>).filter(
      ([k]) => !k.startsWith("_nats."),
    );
    out.metadata = Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
  }
  return out;
}

/** The top-level keys whose values differ between two normal-form configs. */
export function changedKeys(before: WireConfig, after: WireConfig): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

/** An RFC 3339 time in one spelling, so that the server's and the user's compare equal. */
export const sameInstant = (time: unknown): string => new Date(time as string).toISOString();

/** The API's JSON for a (validated) spec: snake_case keys, durations in nanoseconds. */
export function specToWire(spec: object, durationKeys: readonly string[]): WireConfig {
  const wire = renameKeys(spec, camelToSnake);
  return mapDurations(wire, durationKeys, (v) => parseDuration(v as Duration)) as WireConfig;
}

/** The canonical Pulumi inputs of a normal-form config: camelCase keys, durations like "1h". */
export function wireToSpec<T>(normal: WireConfig, durationKeys: readonly string[]): T {
  return renameKeys(
    mapDurations(normal, durationKeys, (v) => formatDuration(v as number)),
    snakeToCamel,
  ) as T;
}
