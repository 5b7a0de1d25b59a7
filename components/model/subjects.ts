/** Subject patterns: tokens separated by '.', where '*' matches one token and '>' the rest. */

const tokens = (subject: string) => subject.split(".");

/** Whether some subject matches both patterns. */
export function subjectsOverlap(a: string, b: string): boolean {
  const [x, y] = [tokens(a), tokens(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === ">" || y[i] === ">") return x[i] !== undefined && y[i] !== undefined;
    if (x[i] === undefined || y[i] === undefined) return false;
    if (x[i] !== "*" && y[i] !== "*" && x[i] !== y[i]) return false;
  }
  return true;
}

/** The pattern with `token` inserted after its first token: `foo.>` and `west` give `foo.west.>`. */
export function withRegionToken(pattern: string, token: string): string {
  const [first, ...rest] = tokens(pattern);
  return [first, token, ...rest].join(".");
}

/**
 * A mapping or transform destination that reproduces `pattern` from a source whose wildcards come
 * in the same order: each '*' becomes `{{wildcard(n)}}`, '>' stays.
 */
export function destinationOf(pattern: string): string {
  let n = 0;
  return tokens(pattern)
    .map((t) => (t === "*" ? `{{wildcard(${++n})}}` : t))
    .join(".");
}
