import { parseDuration } from "./durations";
import { integerProblem, ProblemList } from "./validation";

export const MAX_INT64 = Number.MAX_SAFE_INTEGER;

/** The plain fields of a spec and what each may hold. */
export interface FieldSchema<T> {
  what: string;
  known: readonly (keyof T)[];
  enums: Partial<Record<keyof T, readonly string[]>>;
  integers: Partial<Record<keyof T, readonly [number, number]>>;
  durations: readonly (keyof T)[];
  booleans: readonly (keyof T)[];
}

function durationProblem(value: unknown): string | undefined {
  const parsed = parseDuration(value as string | number);
  return typeof parsed === "string" ? parsed : undefined;
}

/** Checks every plain field of `spec` against `schema`, naming each bad field. */
export function checkFields<T extends object>(spec: T, schema: FieldSchema<T>, problems: ProblemList): void {
  const record = spec as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!schema.known.includes(key as keyof T)) {
      problems.add(key, `unknown ${schema.what} field; the fields are: ${schema.known.join(", ")}`);
    }
  }
  for (const [key, values] of Object.entries(schema.enums) as [string, string[]][]) {
    const value = record[key];
    if (value !== undefined && !values.includes(value as string)) {
      problems.add(key, `must be one of ${values.join(", ")} (got ${JSON.stringify(value)})`);
    }
  }
  for (const [key, [min, max]] of Object.entries(schema.integers) as [string, [number, number]][]) {
    if (record[key] !== undefined) problems.check(key, integerProblem(record[key], min, max));
  }
  for (const key of schema.durations as readonly string[]) {
    const value = record[key];
    if (Array.isArray(value)) value.forEach((v, i) => problems.check(`${key}[${i}]`, durationProblem(v)));
    else if (value !== undefined) problems.check(key, durationProblem(value));
  }
  for (const key of schema.booleans as readonly string[]) {
    if (record[key] !== undefined && typeof record[key] !== "boolean")
      problems.add(key, "must be true or false");
  }
}
