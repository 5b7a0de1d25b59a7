/*
 * An account JWT is one document with several owners in a program: the super-cluster sets its
 * limits, each virtual stream its own mappings. A part is what one owner puts in; applying a part
 * replaces that owner's previous part and leaves every other owner's entries as they are.
 */
import { AccountClaims, AccountLimitsClaims, JwtMapping } from "./claims";

export interface AccountPart {
  /** Replaces the account's limits. */
  limits?: AccountLimitsClaims;
  /** The owner's mappings, by source subject; owners never share a source subject. */
  mappings?: Record<string, JwtMapping[]>;
  /** Users refused from then on: public key → the time (s) at or before which their JWTs were issued. */
  revocations?: Record<string, number>;
}

/** `current` with `previous` taken out and `next` put in (either may be absent). */
export function applyAccountPart(
  current: AccountClaims,
  previous: AccountPart | undefined,
  next: AccountPart | undefined,
): AccountClaims {
  const mappings = { ...(current.mappings ?? {}) };
  for (const subject of Object.keys(previous?.mappings ?? {})) delete mappings[subject];
  Object.assign(mappings, next?.mappings ?? {});
  const revocations = { ...(current.revocations ?? {}) };
  for (const user of Object.keys(previous?.revocations ?? {})) delete revocations[user];
  Object.assign(revocations, next?.revocations ?? {});
  const { mappings: _oldMappings, revocations: _oldRevocations, ...rest } = current;
  return {
    ...rest,
    limits: next?.limits ?? current.limits,
    ...(Object.keys(mappings).length > 0 ? { mappings } : {}),
    ...(Object.keys(revocations).length > 0 ? { revocations } : {}),
  };
}

/** What `current` holds of the entries that `part` sets: the part as the servers have it. */
export function partHeld(current: AccountClaims, part: AccountPart): AccountPart {
  const held: AccountPart = {};
  if (part.limits !== undefined) held.limits = current.limits;
  if (part.mappings !== undefined) {
    held.mappings = Object.fromEntries(
      Object.keys(part.mappings)
        .filter((subject) => current.mappings?.[subject] !== undefined)
        .map((subject) => [subject, current.mappings?.[subject] as JwtMapping[]]),
    );
  }
  return held;
}
