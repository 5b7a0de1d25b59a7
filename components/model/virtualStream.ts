import { Duration, parseDuration } from "./durations";
import { nameProblem } from "./names";
import { SuperClusterPlan } from "./plan";
import { StreamSourceSpec, StreamSpec } from "./streamSpec";
import { subjectProblem } from "./streamValidation";
import { APP_ACCOUNT, regionAccount } from "./accounts";
import { AccountLinks, accountLinks, fromApplicationAccount } from "./regionAccounts";
import { destinationOf, subjectsOverlap, withRegionToken } from "./subjects";
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
}

/** What an application in one region needs: its account, where to publish, which stream to consume. */
export interface RegionAccess {
  region: string;
  /** The region's account: its applications' users and the stream named as the virtual stream. */
  account: string;
  /** Subjects to publish on: the virtual ones, led to the right stream by the account's imports. */
  publishSubjects: string[];
  /** The stream to consume or inspect, in the region's account: the virtual name itself. */
  consumeStream: string;
  /** The stream of the application account that stores this region's writes. */
  writeStream: string;
}

/** A stream of a virtual stream, and the account that holds it. */
export interface PlannedStream {
  account: string;
  spec: StreamSpec;
}

export interface VirtualStreamPlan {
  name: string;
  consistency: Consistency;
  subjects: string[];
  regions: string[];
  streams: PlannedStream[];
  /** The exports and imports that join the application account's streams to the regions' accounts. */
  links: AccountLinks;
  access: RegionAccess[];
}

const DEFAULT_OUTAGE_WINDOW = "1h";
const DEFAULT_DUPLICATE_WINDOW = "2m";

export const writeStreamName = (name: string, region: string) => `${name}-write-${region}`;
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
  (spec.subjects ?? []).forEach((subject, i) => {
    const earlier = (spec.subjects ?? []).slice(0, i).findIndex((other) => subjectsOverlap(subject, other));
    if (earlier >= 0) {
      problems.add(
        `subjects[${i}]`,
        `"${subject}" overlaps subjects[${earlier}] "${(spec.subjects ?? [])[earlier]}": a message would ` +
          "match both; give subjects that never match the same message",
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
  if ("mirrors" in spec) {
    problems.add(
      "mirrors",
      "is gone: every region reads a stream named as the virtual stream in its own account, a " +
        "mirror of the stretched stream in immediate mode (README, One name in every region): remove it",
    );
  }
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
 * The streams of one virtual stream and the account links between them. The application account
 * holds what takes writes (write, ordering, stretched or home streams); each region's account
 * holds one stream named as the virtual stream, placed in the region, that sources or mirrors them
 * across accounts, so that every client there uses the virtual name as it is (README, One name in
 * every region). Publishes on the virtual subjects in a region account reach the write side through
 * service imports, the region token added where each region has its own write stream.
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
  const written = (spec: StreamSpec): PlannedStream => ({ account: APP_ACCOUNT, spec });
  // The stream a region's clients read, in the region's account.
  const regional = (region: string, origin: Pick<StreamSpec, "sources" | "mirror">): PlannedStream => ({
    account: regionAccount(region),
    spec: {
      name,
      ...origin,
      allowDirect: true,
      ...(origin.sources !== undefined ? dedupe : {}),
      ...limits,
      ...common,
      ...inRegion(region),
    },
  });
  const external = (region: string) => fromApplicationAccount(name, region);
  const mirrorOf = (origin: string) => (region: string) =>
    regional(region, { mirror: { name: origin, external: external(region) } });

  let streams: PlannedStream[];
  let originsOf: (region: string) => string[];
  let writeOf: (region: string) => string;
  switch (consistency) {
    case "eventual":
    case "ordered": {
      const writes = regions.map((r) =>
        written({
          name: writeStreamName(name, r),
          subjects: subjects.map((s) => withRegionToken(s, r)),
          maxAge: spec.outageWindow ?? DEFAULT_OUTAGE_WINDOW,
          ...dedupe,
          ...common,
          ...inRegion(r),
        }),
      );
      // A region's writes, as the read side stores them: the region token dropped again.
      const fromWrites = (from: string[], ext?: StreamSourceSpec["external"]) =>
        from.map((r) => ({
          name: writeStreamName(name, r),
          ...(ext !== undefined ? { external: ext } : {}),
          subjectTransforms: subjects.map((s) => ({ src: withRegionToken(s, r), dest: destinationOf(s) })),
        }));
      writeOf = (r) => writeStreamName(name, r);
      if (consistency === "eventual") {
        const ownFirst = (r: string) => [r, ...regions.filter((o) => o !== r)];
        streams = [
          ...writes,
          ...regions.map((r) => regional(r, { sources: fromWrites(ownFirst(r), external(r)) })),
        ];
        originsOf = (r) => ownFirst(r).map(writeOf);
      } else {
        const order = orderStreamName(name);
        streams = [
          ...writes,
          written({
            name: order,
            sources: fromWrites(regions),
            allowDirect: true,
            ...dedupe,
            ...limits,
            ...common,
            ...inStretch,
          }),
          ...regions.map(mirrorOf(order)),
        ];
        originsOf = () => [order];
      }
      break;
    }
    case "immediate": {
      const global = stretchedStreamName(name);
      streams = [
        written({ name: global, subjects, allowDirect: true, ...dedupe, ...limits, ...common, ...inStretch }),
        ...regions.map(mirrorOf(global)),
      ];
      originsOf = () => [global];
      writeOf = () => global;
      break;
    }
    case "home": {
      const home = homeStreamName(name);
      const homeRegion = spec.homeRegion as string;
      streams = [
        written({
          name: home,
          subjects,
          allowDirect: true,
          ...dedupe,
          ...limits,
          ...common,
          ...inRegion(homeRegion),
        }),
        ...regions.map(mirrorOf(home)),
      ];
      originsOf = () => [home];
      writeOf = () => home;
      break;
    }
  }

  // Writes to a region's own write stream: only where there is one per region.
  const regionWrites = consistency === "eventual" || consistency === "ordered";
  const links = accountLinks(
    name,
    Object.fromEntries(
      regions.map((r) => [
        r,
        {
          origins: originsOf(r),
          publishes: subjects.map((s) => ({ local: s, remote: regionWrites ? withRegionToken(s, r) : s })),
        },
      ]),
    ),
  );
  const access = regions.map((r) => ({
    region: r,
    account: regionAccount(r),
    publishSubjects: subjects,
    consumeStream: name,
    writeStream: writeOf(r),
  }));
  return { name, consistency, subjects, regions, streams, links, access };
}
