/**
 * Region and cluster names become subject tokens (`foo.<region>.>`), parts of stream names
 * (`foo-write-<region>`), server names and directory names, so they are held to the intersection
 * of what all of those accept.
 */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
export const MAX_NAME_LENGTH = 32;

/** Why `name` cannot be used as a region, cluster or zone name, or undefined when it can. */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name.length === 0) {
    return "must be a non-empty string";
  }
  if (name.length > MAX_NAME_LENGTH) {
    return `must be at most ${MAX_NAME_LENGTH} characters (got ${name.length})`;
  }
  if (!NAME_PATTERN.test(name)) {
    return (
      `"${name}" is not a valid NATS subject token and stream-name part: ` +
      "use letters, digits, '-' and '_' only, starting with a letter or digit " +
      "(no '.', '*', '>', spaces or slashes)"
    );
  }
  return undefined;
}

export function serverName(cluster: string, index: number): string {
  return `${cluster}-${index + 1}`;
}
