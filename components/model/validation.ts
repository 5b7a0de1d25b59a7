/** A bad input, named by the path of the field at fault and what to do about it. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** Thrown for input that cannot be planned; lists every problem found, not just the first. */
export class InvalidSpecError extends Error {
  readonly problems: FieldProblem[];

  constructor(what: string, problems: FieldProblem[]) {
    super(`invalid ${what}:\n` + problems.map((p) => `  - ${p.field}: ${p.message}`).join("\n"));
    this.name = "InvalidSpecError";
    this.problems = problems;
  }
}

/** Collects problems while a spec is checked, then throws them together. */
export interface ProblemList {
  add(field: string, message: string): void;
  /** Adds a problem when `message` is defined (the shape of the `...Problem` helpers). */
  check(field: string, message: string | undefined): void;
  readonly isEmpty: boolean;
  readonly all: FieldProblem[];
  throwIfAny(what: string): void;
}

/**
 * A new ProblemList. Closures rather than a class: providers carry this code through Pulumi's
 * closure serializer, which drops class field initializers.
 */
export function problemList(): ProblemList {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => void problems.push({ field, message });
  return {
    add,
    check: (field, message) => (message !== undefined ? add(field, message) : undefined),
    get isEmpty() {
      return problems.length === 0;
    },
    get all() {
      return [...problems];
    },
    throwIfAny(what) {
      if (problems.length > 0) throw new InvalidSpecError(what, [...problems]);
    },
  };
}

export function integerProblem(value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    return `must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`;
  }
  return undefined;
}
