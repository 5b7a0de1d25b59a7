/*
 * What an application in one region may do, as user JWT permissions: exactly what it needs to
 * publish to and consume from the virtual streams it is given, there. nats-server applies an
 * account's mappings before it checks publish permissions (parser.go, then client.go
 * processInboundClientMsg), so the permissions name the subjects after mapping: a region's own
 * write subjects and its own read stream's API, never another region's.
 */
import { RegionAccess, streamApiSubjects } from "../virtualStream";
import { SubjectPermission } from "./claims";

export interface UserPermissions {
  pub: SubjectPermission;
  sub: SubjectPermission;
}

/** Replies to its own requests (publish acks, API answers, pulled messages) come to its inbox. */
export const INBOX_SUBJECTS = ["_INBOX.>"];
/** Account-wide JetStream info: clients ask it on connect to learn whether JetStream is there. */
const ACCOUNT_INFO = "$JS.API.INFO";

/**
 * An application's permissions in a region, for the region's access to each of its virtual
 * streams: publishing where the region writes, consuming and inspecting the region's read stream
 * (by its virtual name, which the cluster maps to the real one, or by the real name), acking.
 * Nothing else: no stream created, changed, purged or deleted, no other region's raw subjects.
 */
export function regionPermissions(access: RegionAccess[]): UserPermissions {
  const allow = new Set<string>([ACCOUNT_INFO]);
  for (const a of access) {
    for (const subject of a.mappedPublishSubjects) allow.add(subject);
    for (const subject of streamApiSubjects(a.readStream)) allow.add(subject);
  }
  return { pub: { allow: [...allow] }, sub: { allow: [...INBOX_SUBJECTS] } };
}
