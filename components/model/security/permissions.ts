/*
 * What an application in one region may do, as user JWT permissions of the region's account:
 * exactly what it needs to publish to and consume from the virtual streams it is given. It publishes
 * on the virtual subjects, which the account's service imports lead to the write side, and reads
 * the account's stream named as the virtual stream: nothing of another region is in its account.
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
 * An application's permissions in a region's account, for each of its virtual streams: publishing
 * on the virtual subjects, consuming and inspecting the stream of the virtual name, acking.
 * Nothing else: no stream created, changed, purged or deleted.
 */
export function regionPermissions(access: RegionAccess[]): UserPermissions {
  const allow = new Set<string>([ACCOUNT_INFO]);
  for (const a of access) {
    for (const subject of a.publishSubjects) allow.add(subject);
    for (const subject of streamApiSubjects(a.consumeStream)) allow.add(subject);
  }
  return { pub: { allow: [...allow] }, sub: { allow: [...INBOX_SUBJECTS] } };
}

/**
 * The source watchers' user, in every account that holds sourcing streams or their origins: it
 * lists streams, reads their info and asks a stream's leader to step down, nothing else. No stream
 * is created, changed, purged or deleted; no message read.
 */
export function watcherPermissions(): UserPermissions {
  return {
    pub: { allow: ["$JS.API.STREAM.LIST", "$JS.API.STREAM.INFO.*", "$JS.API.STREAM.LEADER.STEPDOWN.*"] },
    sub: { allow: [...INBOX_SUBJECTS] },
  };
}
