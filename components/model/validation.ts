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
export class ProblemList {
  private readonly problems: FieldProblem[] = [];

  add(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  /** Adds a problem when `message` is defined (the shape of the `...Problem` helpers). */
  check(field: string, message: string | undefined): void {
    if (message !== undefined) this.add(field, message);
  }

  get isEmpty(): boolean {
    return this.problems.length === 0;
  }

  throwIfAny(what: string): void {
    if (!this.isEmpty) throw new InvalidSpecError(what, [...this.problems]);
  }
}

export function integerProblem(value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    return `must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`;
  }
  return undefined;
}
