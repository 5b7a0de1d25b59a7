import { ConsumerSpec } from "./consumerSpec";
import { checkFields, FieldSchema, MAX_INT64 } from "./fieldChecks";
import { streamNameProblem, subjectProblem } from "./streamValidation";
import { FieldProblem, problemList } from "./validation";

const CONSUMER_SCHEMA: FieldSchema<ConsumerSpec> = {
  what: "consumer",
  known: [
    "stream",
    "name",
    "description",
    "deliverPolicy",
    "optStartSeq",
    "optStartTime",
    "ackPolicy",
    "ackWait",
    "maxDeliver",
    "backoff",
    "filterSubject",
    "filterSubjects",
    "replayPolicy",
    "rateLimitBps",
    "sampleFreq",
    "maxWaiting",
    "maxAckPending",
    "headersOnly",
    "maxBatch",
    "maxExpires",
    "maxBytes",
    "inactiveThreshold",
    "numReplicas",
    "memStorage",
    "metadata",
    "pauseUntil",
    "deliverSubject",
    "deliverGroup",
    "flowControl",
    "idleHeartbeat",
    "priorityGroups",
    "priorityPolicy",
    "priorityTimeout",
  ],
  enums: {
    deliverPolicy: ["all", "last", "new", "by_start_sequence", "by_start_time", "last_per_subject"],
    ackPolicy: ["none", "all", "explicit"],
    replayPolicy: ["instant", "original"],
    priorityPolicy: ["none", "overflow", "pinned_client", "prioritized"],
  },
  integers: {
    optStartSeq: [1, MAX_INT64],
    maxDeliver: [-1, MAX_INT64],
    rateLimitBps: [0, MAX_INT64],
    maxWaiting: [1, MAX_INT64],
    maxAckPending: [-1, MAX_INT64],
    maxBatch: [0, MAX_INT64],
    maxBytes: [0, MAX_INT64],
    numReplicas: [0, 5],
  },
  durations: ["ackWait", "backoff", "maxExpires", "inactiveThreshold", "idleHeartbeat", "priorityTimeout"],
  booleans: ["headersOnly", "memStorage", "flowControl"],
};

const PUSH_ONLY: (keyof ConsumerSpec)[] = ["deliverGroup", "flowControl", "idleHeartbeat", "rateLimitBps"];
const PULL_ONLY: (keyof ConsumerSpec)[] = [
  "maxWaiting",
  "maxBatch",
  "maxExpires",
  "maxBytes",
  "priorityGroups",
];

/** Every reason the server would refuse this consumer that can be known before asking it. */
export function consumerProblems(spec: ConsumerSpec): FieldProblem[] {
  const problems = problemList();
  checkFields(spec, CONSUMER_SCHEMA, problems);
  problems.check("stream", streamNameProblem(spec.stream));
  problems.check("name", streamNameProblem(spec.name));
  if (spec.filterSubject !== undefined) problems.check("filterSubject", subjectProblem(spec.filterSubject));
  (spec.filterSubjects ?? []).forEach((s, i) => problems.check(`filterSubjects[${i}]`, subjectProblem(s)));
  if (spec.filterSubject !== undefined && spec.filterSubjects !== undefined) {
    problems.add("filterSubjects", "give filterSubject or filterSubjects, not both");
  }
  const startsAt = (policy: string, field: keyof ConsumerSpec) => {
    if ((spec.deliverPolicy === policy) !== (spec[field] !== undefined)) {
      problems.add(field, `goes with deliverPolicy: "${policy}", and that policy needs it`);
    }
  };
  startsAt("by_start_sequence", "optStartSeq");
  startsAt("by_start_time", "optStartTime");
  const push = spec.deliverSubject !== undefined;
  if (push) problems.check("deliverSubject", subjectProblem(spec.deliverSubject));
  for (const field of push ? PULL_ONLY : PUSH_ONLY) {
    if (spec[field] !== undefined) {
      problems.add(
        field,
        push
          ? "applies to pull consumers only: remove deliverSubject, or this"
          : "applies to push consumers only: set deliverSubject",
      );
    }
  }
  if (spec.flowControl === true && spec.idleHeartbeat === undefined) {
    problems.add("flowControl", "needs idleHeartbeat as well");
  }
  if (spec.deliverGroup !== undefined && (spec.flowControl || spec.idleHeartbeat !== undefined)) {
    problems.add("deliverGroup", "cannot go with flowControl or idleHeartbeat");
  }
  const backoff = spec.backoff ?? [];
  if (backoff.length > 0 && (spec.maxDeliver ?? -1) !== -1 && (spec.maxDeliver ?? 0) <= backoff.length) {
    problems.add("maxDeliver", `must be greater than the ${backoff.length} backoff steps`);
  }
  return problems.all;
}
