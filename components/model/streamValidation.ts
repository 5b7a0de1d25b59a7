import { checkFields, FieldSchema, MAX_INT64 } from "./fieldChecks";
import { StreamSourceSpec, StreamSpec } from "./streamSpec";
import { FieldProblem, integerProblem, ProblemList, problemList } from "./validation";

/** Why `name` cannot name a stream or consumer, or undefined when it can. */
export function streamNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name.length === 0) return "must be a non-empty string";
  if (name.length > 255) return `must be at most 255 characters (got ${name.length})`;
  if (/[\s.*>/\\]/.test(name)) {
    return `"${name}" cannot contain whitespace, '.', '*', '>', '/' or '\\': use letters, digits, '-' and '_'`;
  }
  return undefined;
}

/** Why `subject` is not a valid subject (wildcards allowed), or undefined when it is. */
export function subjectProblem(subject: unknown): string | undefined {
  if (typeof subject !== "string" || subject.length === 0) return "must be a non-empty subject";
  const tokens = subject.split(".");
  if (tokens.some((t) => t.length === 0 || /\s/.test(t))) {
    return `"${subject}" has an empty token or whitespace`;
  }
  if (tokens.slice(0, -1).includes(">")) return `"${subject}": '>' may only be the last token`;
  if (tokens.some((t) => t.length > 1 && (t.includes("*") || t.includes(">")))) {
    return `"${subject}": wildcards '*' and '>' must be whole tokens`;
  }
  return undefined;
}

const STREAM_SCHEMA: FieldSchema<StreamSpec> = {
  what: "stream",
  known: [
    "name",
    "subjects",
    "description",
    "retention",
    "maxConsumers",
    "maxMsgs",
    "maxBytes",
    "maxAge",
    "maxMsgsPerSubject",
    "maxMsgSize",
    "discard",
    "discardNewPerSubject",
    "storage",
    "numReplicas",
    "noAck",
    "duplicateWindow",
    "placement",
    "mirror",
    "sources",
    "subjectTransform",
    "republish",
    "compression",
    "firstSeq",
    "allowDirect",
    "mirrorDirect",
    "sealed",
    "denyDelete",
    "denyPurge",
    "allowRollupHdrs",
    "allowMsgTtl",
    "subjectDeleteMarkerTtl",
    "allowMsgCounter",
    "allowAtomic",
    "allowMsgSchedules",
    "allowBatched",
    "persistMode",
    "consumerLimits",
    "metadata",
  ],
  enums: {
    retention: ["limits", "interest", "workqueue"],
    discard: ["old", "new"],
    storage: ["file", "memory"],
    compression: ["none", "s2"],
    persistMode: ["default", "async"],
  },
  integers: {
    maxConsumers: [-1, MAX_INT64],
    maxMsgs: [-1, MAX_INT64],
    maxBytes: [-1, MAX_INT64],
    maxMsgsPerSubject: [-1, MAX_INT64],
    maxMsgSize: [-1, 2 ** 31 - 1],
    numReplicas: [1, 5],
    firstSeq: [0, MAX_INT64],
  },
  durations: ["maxAge", "duplicateWindow", "subjectDeleteMarkerTtl"],
  booleans: [
    "discardNewPerSubject",
    "noAck",
    "allowDirect",
    "mirrorDirect",
    "sealed",
    "denyDelete",
    "denyPurge",
    "allowRollupHdrs",
    "allowMsgTtl",
    "allowMsgCounter",
    "allowAtomic",
    "allowMsgSchedules",
    "allowBatched",
  ],
};

function checkSource(source: StreamSourceSpec, at: string, problems: ProblemList): void {
  problems.check(`${at}.name`, streamNameProblem(source.name));
  if (source.filterSubject !== undefined)
    problems.check(`${at}.filterSubject`, subjectProblem(source.filterSubject));
  if (source.filterSubject !== undefined && (source.subjectTransforms ?? []).length > 0) {
    problems.add(
      `${at}.subjectTransforms`,
      "a source cannot have both filterSubject and subjectTransforms: move the filter into a transform's src",
    );
  }
  (source.subjectTransforms ?? []).forEach((t, i) => {
    problems.check(`${at}.subjectTransforms[${i}].src`, subjectProblem(t.src));
    problems.check(`${at}.subjectTransforms[${i}].dest`, subjectProblem(t.dest));
  });
  if (source.domain !== undefined && source.external !== undefined) {
    problems.add(
      `${at}.domain`,
      "give either domain or external, not both: domain is shorthand for external.api",
    );
  }
  if (source.optStartSeq !== undefined) {
    problems.check(`${at}.optStartSeq`, integerProblem(source.optStartSeq, 0, MAX_INT64));
  }
  if (source.optStartTime !== undefined && Number.isNaN(Date.parse(source.optStartTime))) {
    problems.add(
      `${at}.optStartTime`,
      `"${source.optStartTime}" is not an RFC 3339 time like 2024-01-01T00:00:00Z`,
    );
  }
}

/** Every reason the server would refuse this stream that can be known before asking it. */
export function streamProblems(spec: StreamSpec): FieldProblem[] {
  const problems = problemList();
  checkFields(spec, STREAM_SCHEMA, problems);
  problems.check("name", streamNameProblem(spec.name));
  (spec.subjects ?? []).forEach((s, i) => problems.check(`subjects[${i}]`, subjectProblem(s)));
  if (spec.mirror !== undefined) {
    checkSource(spec.mirror, "mirror", problems);
    if ((spec.subjects ?? []).length > 0) {
      problems.add("subjects", "a mirror stream cannot listen on subjects: remove subjects, or the mirror");
    }
    if ((spec.sources ?? []).length > 0) {
      problems.add("sources", "a mirror stream cannot also have sources: use either mirror or sources");
    }
  }
  (spec.sources ?? []).forEach((source, i) => checkSource(source, `sources[${i}]`, problems));
  if (spec.subjectTransform !== undefined) {
    problems.check("subjectTransform.src", subjectProblem(spec.subjectTransform.src));
    problems.check("subjectTransform.dest", subjectProblem(spec.subjectTransform.dest));
  }
  if (spec.republish !== undefined) {
    problems.check("republish.src", subjectProblem(spec.republish.src));
    problems.check("republish.dest", subjectProblem(spec.republish.dest));
  }
  if (spec.discardNewPerSubject === true && (spec.discard !== "new" || (spec.maxMsgsPerSubject ?? -1) <= 0)) {
    problems.add("discardNewPerSubject", 'needs discard: "new" and a maxMsgsPerSubject above 0');
  }
  if (spec.subjectDeleteMarkerTtl !== undefined && spec.allowMsgTtl !== true) {
    problems.add("subjectDeleteMarkerTtl", "needs allowMsgTtl: true");
  }
  if (spec.placement?.cluster !== undefined) {
    problems.check("placement.cluster", streamNameProblem(spec.placement.cluster));
  }
  return problems.all;
}
