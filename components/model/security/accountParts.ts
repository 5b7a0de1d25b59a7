/*
 * An account JWT is one document with several owners in a program: the super-cluster sets its
 * limits, each virtual stream its own exports or imports, each user its revocation. A part is what
 * one owner puts in; applying a part replaces that owner's previous part and leaves every other
 * owner's entries as they are.
 */
import { AccountClaims, AccountLimitsClaims, JwtExport, JwtImport } from "./claims";

export interface AccountPart {
  /** Replaces the account's limits. */
  limits?: AccountLimitsClaims;
  /** The owner's exports; owners never share a subject. */
  exports?: JwtExport[];
  /** The owner's imports; owners never share a subject. */
  imports?: JwtImport[];
  /** Users refused from then on: public key → the time (s) at or before which their JWTs were issued. */
  revocations?: Record<string, number>;
}

/** What an entry is known by: an export by its subject, an import by the subject it takes locally. */
const keyOf = (entry: JwtExport | JwtImport) =>
  `${entry.type}:${"account" in entry ? (entry.local_subject ?? entry.subject) : entry.subject}`;
const sameEntry = (a: JwtExport | JwtImport, b: JwtExport | JwtImport) => keyOf(a) === keyOf(b);

/** `current` without the entries of `previous`, with those of `next`. */
function replaced<T extends JwtExport | JwtImport>(
  current: T[] | undefined,
  previous: T[] | undefined,
  next: T[] | undefined,
): T[] {
  const kept = (current ?? []).filter((entry) => !(previous ?? []).some((p) => sameEntry(entry, p)));
  return [...kept, ...(next ?? [])];
}

/** `current` with `previous` taken out and `next` put in (either may be absent). */
export function applyAccountPart(
  current: AccountClaims,
  previous: AccountPart | undefined,
  next: AccountPart | undefined,
): AccountClaims {
  const exports = replaced(current.exports, previous?.exports, next?.exports);
  const imports = replaced(current.imports, previous?.imports, next?.imports);
  const revocations = { ...(current.revocations ?? {}) };
  for (const user of Object.keys(previous?.revocations ?? {})) delete revocations[user];
  Object.assign(revocations, next?.revocations ?? {});
  const { exports: _e, imports: _i, revocations: _r, ...rest } = current;
  return {
    ...rest,
    limits: next?.limits ?? current.limits,
    ...(exports.length > 0 ? { exports } : {}),
    ...(imports.length > 0 ? { imports } : {}),
    ...(Object.keys(revocations).length > 0 ? { revocations } : {}),
  };
}

/** What `current` holds of the entries that `part` sets: the part as the servers have it. */
export function partHeld(current: AccountClaims, part: AccountPart): AccountPart {
  const held: AccountPart = {};
  if (part.limits !== undefined) held.limits = current.limits;
  if (part.exports !== undefined) {
    held.exports = (current.exports ?? []).filter((e) => part.exports?.some((p) => sameEntry(e, p)));
  }
  if (part.imports !== undefined) {
    held.imports = (current.imports ?? []).filter((i) => part.imports?.some((p) => sameEntry(i, p)));
  }
  return held;
}
