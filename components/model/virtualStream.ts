import { Duration, parseDuration } from "./durations";
import { MappingTable } from "./mappings";
import { nameProblem } from "./names";
import { SuperClusterPlan } from "./plan";
import { StreamSpec } from "./streamSpec";
import { subjectProblem } from "./streamValidation";
import { destinationOf, withRegionToken } from "./subjects";
import { integerProblem, ProblemList, problemList } from "./validation";

/** Where writes go and what order readers see; see the table in the README. */
export type Consistency = "eventual" | "ordered" | "immediate" | "home";
export const CONSISTENCIES: readonly Consistency[] = ["eventual", "ordered", "immediate", "home"];

export interface VirtualStreamSpec {
  /** The name applications use for the stream (`foo`); a prefix of every underlying stream's name. */
  name: string;
  /** Default `<name>.>`. Each pattern starts with a literal token; the region token goes after it. */
  subjects?: string[];
  consistency?: Consistency;
  /** The regions that carry it; default every region of the super-cluster. */
  regions?: string[];
  /** Replicas of every underlying stream (default 3). */
  numReplicas?: number;
  storage?: "file" | "memory";
  /** Only "limits": a virtual stream is many streams, so interest or work-queue semantics cannot hold. */
  retention?: "limits";
  /** Limits of the global stream (the read, ordering, stretched or home stream). */
  maxAge?: Duration;
  maxBytes?: number;
  maxMsgs?: number;
  maxMsgsPerSubject?: number;
  /**
   * How long write streams keep messages (default "1h"): a region cut off for longer than this
   * loses the writes it took meanwhile from the other regions' read streams.
   */
  outageWindow?: Duration;
  /**
   * How long every stream that takes publishes or sources remembers message ids (default "2m", the
   * seed's): a publish that an application retries in another region with the same `Nats-Msg-Id`
   * within it is stored once in every read stream. Mirrors copy what their origin kept.
   */
  duplicateWindow?: Duration;
  /** `home` only: the region whose stream takes every write. */
  homeRegion?: string;
  /** `immediate` only: regional read mirrors of the stretched stream (default true). */
  mirrors?: boolean;
}

/** What an application in one region needs: where to publish, which stream to consume. */
export interface RegionAccess {
  region: string;
  /** Subjects to publish on: the virtual ones, mapped to the right stream by the cluster. */
  publishSubjects: string[];
  /** The stream name to consume or inspect: the virtual name, mapped to `readStream`. */
  consumeStream: string;
  /** The stream that stores this region's writes. */
  writeStream: string;
  /** The stream that serves this region's reads. */
  readStream: string;
  /**
   * The subjects its publishes arrive on once the cluster's mappings applied: what the server
   * checks a user's publish permissions against.
   */
  mappedPublishSubjects: string[];
}

export interface VirtualStreamPlan {
  name: string;
  consistency: Consistency;
  subjects: string[];
  regions: string[];
  streams: StreamSpec[];
  mappings: MappingTable;
  access: RegionAccess[];
}

const DEFAULT_OUTAGE_WINDOW = "1h";
const DEFAULT_DUPLICATE_WINDOW = "2m";

export const writeStreamName = (name: string, region: string) => `${name}-write-${region}`;
export const readStreamName = (name: string, region: string) => `${name}-read-${region}`;
export const orderStreamName = (name: string) => `${name}-order`;
export const stretchedStreamName = (name: string) => `${name}-global`;
export const homeStreamName = (name: string) => `${name}-home`;

/** The JetStream API subjects (after `$JS.API.`) that name a stream, with the tokens that follow it. */
const STREAM_API = [
  ["STREAM.INFO", ""],
  ["STREAM.MSG.GET", ""],
  ["STREAM.MSG.DELETE", ""],
  ["DIRECT.GET", ""],
  ["DIRECT.GET", ".>"],
  ["CONSUMER.CREATE", ""],
  ["CONSUMER.CREATE", ".*"],
  ["CONSUMER.CREATE", ".*.>"],
  ["CONSUMER.DURABLE.CREATE", ".*"],
  ["CONSUMER.INFO", ".*"],
  ["CONSUMER.DELETE", ".*"],
  ["CONSUMER.MSG.NEXT", ".*"],
  ["CONSUMER.PAUSE", ".*"],
  ["CONSUMER.UNPIN", ".*"],
  ["CONSUMER.NAMES", ""],
  ["CONSUMER.LIST", ""],
] as const;

/**
 * Every JetStream API subject that names `stream` (as wildcards), and its acks: what a client that
 * consumes and inspects the stream publishes on.
 */
export function streamApiSubjects(stream: string): string[] {
  return [...STREAM_API.map(([api, rest]) => `$JS.API.${api}.${stream}${rest}`), `$JS.ACK.${stream}.>`];
}

function streamApiMappings(virtual: string, targets: Record<string, string>): MappingTable {
  const table: MappingTable = {};
  const add = (source: string, destination: (target: string) => string) => {
    table[source] = Object.entries(targets).map(([cluster, target]) => ({
      destination: destination(target),
      weight: 100,
      cluster,
    }));
  };
  for (const [api, rest] of STREAM_API) {
    add(
      `$JS.API.${api}.${virtual}${rest}`,
      (t) => `$JS.API.${api}.${t}${destinationOf(rest.slice(1)) ? `.${destinationOf(rest.slice(1))}` : ""}`,
    );
  }
  add(`$JS.ACK.${virtual}.>`, (t) => `$JS.ACK.${t}.>`);
  return table;
}

function checkSpec(spec: VirtualStreamSpec, plan: SuperClusterPlan): void {
  const problems = problemList();
  problems.check("name", nameProblem(spec.name));
  const regionNames = plan.clusters.filter((c) => !c.stretch).map((c) => c.name);
  const stretch = plan.clusters.find((c) => c.stretch);
  const consistency = spec.consistency ?? "eventual";
  if (!CONSISTENCIES.includes(consistency)) {
    problems.add(
      "consistency",
      `must be one of ${CONSISTENCIES.join(", ")} (got ${JSON.stringify(consistency)})`,
    );
  }
  (spec.subjects ?? []).forEach((subject, i) => {
    problems.check(`subjects[${i}]`, subjectProblem(subject));
    if (/^[*>]/.test(subject)) {
      problems.add(
        `subjects[${i}]`,
        `"${subject}" must start with a literal token: the region token goes after it`,
      );
    }
  });
  if (spec.subjects !== undefined && spec.subjects.length === 0)
    problems.add("subjects", "must list at least one subject");
  (spec.regions ?? []).forEach((region, i) => {
    if (!regionNames.includes(region)) {
      problems.add(
        `regions[${i}]`,
        `"${region}" is not a region of the super-cluster (${regionNames.join(", ")})`,
      );
    }
  });
  if (spec.retention !== undefined && spec.retention !== "limits") {
    problems.add(
      "retention",
      `must be "limits": interest and work-queue retention need one stream that sees every consumer, ` +
        `and a virtual stream is one stream per region`,
    );
  }
  if ((consistency === "ordered" || consistency === "immediate") && stretch === undefined) {
    problems.add("consistency", `"${consistency}" needs a stretch cluster: add stretch to the super-cluster`);
  }
  if (consistency === "home") {
    if (spec.homeRegion === undefined) problems.add("homeRegion", 'consistency "home" needs a homeRegion');
    else if (!regionNames.includes(spec.homeRegion)) {
      problems.add("homeRegion", `"${spec.homeRegion}" is not a region of the super-cluster`);
    }
  } else if (spec.homeRegion !== undefined) {
    problems.add("homeRegion", 'only applies to consistency "home"');
  }
  if (spec.mirrors !== undefined && consistency !== "immediate")
    problems.add("mirrors", 'only applies to consistency "immediate"');
  const window = parseDuration(spec.outageWindow ?? DEFAULT_OUTAGE_WINDOW);
  if (typeof window === "string") problems.add("outageWindow", window);
  else if (window === 0) {
    problems.add(
      "outageWindow",
      "must be above 0: write streams would keep nothing for a region that was cut off",
    );
  }
  checkDuplicateWindow(spec, problems);
  if (spec.numReplicas !== undefined) problems.check("numReplicas", integerProblem(spec.numReplicas, 1, 5));
  problems.throwIfAny(`virtual stream "${spec.name}"`);
}

/** The server refuses a duplicate window longer than the stream's max age: say so at preview. */
function checkDuplicateWindow(spec: VirtualStreamSpec, problems: ProblemList): void {
  const window = parseDuration(spec.duplicateWindow ?? DEFAULT_DUPLICATE_WINDOW);
  if (typeof window === "string") {
    problems.add("duplicateWindow", window);
    return;
  }
  if (window === 0) {
    problems.add(
      "duplicateWindow",
      "must be above 0: a publish retried in another region would be stored twice",
    );
  }
  const ages = { outageWindow: spec.outageWindow ?? DEFAULT_OUTAGE_WINDOW, maxAge: spec.maxAge };
  for (const [field, age] of Object.entries(ages)) {
    const limit = age === undefined ? undefined : parseDuration(age);
    // 0 is no age limit; a bad duration is reported on its own field.
    if (typeof limit === "number" && limit > 0 && window > limit) {
      problems.add(
        "duplicateWindow",
        `${spec.duplicateWindow ?? DEFAULT_DUPLICATE_WINDOW} is longer than ${field} (${age}), how long the ` +
          `streams keep messages: shorten duplicateWindow or lengthen ${field}`,
      );
    }
  }
}

/**
 * The streams and cluster-scoped mappings of one virtual stream. Every stream is placed by cluster
 * and tags; the mappings make the virtual name and subjects lead to the local streams in every
 * regional cluster. The stretch cluster gets no entries: nats-server refuses two destinations that
 * are the same within one mapping, so it cannot share a region's, and a mapping without an entry for
 * the client's cluster leaves subjects as they are. Clients there use the real names (README).
 */
export function planVirtualStream(spec: VirtualStreamSpec, plan: SuperClusterPlan): VirtualStreamPlan {
  checkSpec(spec, plan);
  const name = spec.name;
  const consistency = spec.consistency ?? "eventual";
  const subjects = spec.subjects ?? [`${name}.>`];
  const regions = spec.regions ?? plan.clusters.filter((c) => !c.stretch).map((c) => c.name);
  const stretch = plan.clusters.find((c) => c.stretch)?.name;
  const common = { numReplicas: spec.numReplicas ?? 3, ...(spec.storage ? { storage: spec.storage } : {}) };
  const limits = {
    ...(spec.maxAge !== undefined ? { maxAge: spec.maxAge } : {}),
    ...(spec.maxBytes !== undefined ? { maxBytes: spec.maxBytes } : {}),
    ...(spec.maxMsgs !== undefined ? { maxMsgs: spec.maxMsgs } : {}),
    ...(spec.maxMsgsPerSubject !== undefined ? { maxMsgsPerSubject: spec.maxMsgsPerSubject } : {}),
  };
  // Every stream that stores publishes or sourced messages; mirrors copy their origin's result.
  const dedupe = { duplicateWindow: spec.duplicateWindow ?? DEFAULT_DUPLICATE_WINDOW };
  const inRegion = (region: string) => ({ placement: { cluster: region, tags: [`region:${region}`] } });
  const inStretch = { placement: { cluster: stretch as string, tags: ["stretch"] } };
  // A region's writes, as the read side stores them: the region token dropped again.
  const fromWrites = (from: string[]) =>
    from.map((r) => ({
      name: writeStreamName(name, r),
      subjectTransforms: subjects.map((s) => ({ src: withRegionToken(s, r), dest: destinationOf(s) })),
    }));
  const writes = regions.map((r) => ({
    name: writeStreamName(name, r),
    subjects: subjects.map((s) => withRegionToken(s, r)),
    maxAge: spec.outageWindow ?? DEFAULT_OUTAGE_WINDOW,
    ...dedupe,
    ...common,
    ...inRegion(r),
  }));
  const mirrorOf = (origin: string, r: string) => ({
    name: readStreamName(name, r),
    mirror: { name: origin },
    allowDirect: true,
    ...limits,
    ...common,
    ...inRegion(r),
  });

  let streams: StreamSpec[];
  let readOf: (region: string) => string;
  let writeOf: (region: string) => string;
  switch (consistency) {
    case "eventual":
      streams = [
        ...writes,
        ...regions.map((r) => ({
          name: readStreamName(name, r),
          sources: fromWrites([r, ...regions.filter((o) => o !== r)]),
          allowDirect: true,
          ...dedupe,
          ...limits,
          ...common,
          ...inRegion(r),
        })),
      ];
      readOf = (r) => readStreamName(name, r);
      writeOf = (r) => writeStreamName(name, r);
      break;
    case "ordered":
      streams = [
        ...writes,
        {
          name: orderStreamName(name),
          sources: fromWrites(regions),
          allowDirect: true,
          ...dedupe,
          ...limits,
          ...common,
          ...inStretch,
        },
        ...regions.map((r) => mirrorOf(orderStreamName(name), r)),
      ];
      readOf = (r) => readStreamName(name, r);
      writeOf = (r) => writeStreamName(name, r);
      break;
    case "immediate": {
      const global = stretchedStreamName(name);
      const mirrors = spec.mirrors ?? true;
      streams = [
        { name: global, subjects, allowDirect: true, ...dedupe, ...limits, ...common, ...inStretch },
        ...(mirrors ? regions.map((r) => mirrorOf(global, r)) : []),
      ];
      readOf = (r) => (mirrors ? readStreamName(name, r) : global);
      writeOf = () => global;
      break;
    }
    case "home": {
      const home = homeStreamName(name);
      const homeRegion = spec.homeRegion as string;
      streams = [
        {
          name: home,
          subjects,
          allowDirect: true,
          ...dedupe,
          ...limits,
          ...common,
          ...inRegion(homeRegion),
        },
        ...regions.filter((r) => r !== homeRegion).map((r) => mirrorOf(home, r)),
      ];
      readOf = (r) => (r === homeRegion ? home : readStreamName(name, r));
      writeOf = () => home;
      break;
    }
  }

  const mappings = streamApiMappings(name, Object.fromEntries(regions.map((r) => [r, readOf(r)])));
  // Writes to a region's own write stream: only where there is one per region.
  const regionWrites = consistency === "eventual" || consistency === "ordered";
  if (regionWrites) {
    for (const subject of subjects) {
      mappings[subject] = regions.map((r) => ({
        destination: destinationOf(withRegionToken(subject, r)),
        weight: 100,
        cluster: r,
      }));
    }
  }
  const access = regions.map((r) => ({
    region: r,
    publishSubjects: subjects,
    consumeStream: name,
    writeStream: writeOf(r),
    readStream: readOf(r),
    mappedPublishSubjects: regionWrites ? subjects.map((s) => withRegionToken(s, r)) : subjects,
  }));
  return { name, consistency, subjects, regions, streams, mappings, access };
}
