import { Duration } from "./durations";

/**
 * A JetStream stream as Pulumi inputs: the server's stream configuration with its keys in camelCase
 * (`num_replicas` is `numReplicas`), durations as "1h"/"90s" or nanoseconds. Every field left out
 * takes the server's default.
 */
export interface StreamSpec {
  name: string;
  subjects?: string[];
  description?: string;
  retention?: "limits" | "interest" | "workqueue";
  maxConsumers?: number;
  maxMsgs?: number;
  maxBytes?: number;
  maxAge?: Duration;
  maxMsgsPerSubject?: number;
  maxMsgSize?: number;
  discard?: "old" | "new";
  discardNewPerSubject?: boolean;
  storage?: "file" | "memory";
  numReplicas?: number;
  noAck?: boolean;
  duplicateWindow?: Duration;
  placement?: { cluster?: string; tags?: string[] };
  mirror?: StreamSourceSpec;
  sources?: StreamSourceSpec[];
  subjectTransform?: SubjectTransformSpec;
  republish?: { src: string; dest: string; headersOnly?: boolean };
  compression?: "none" | "s2";
  firstSeq?: number;
  allowDirect?: boolean;
  mirrorDirect?: boolean;
  sealed?: boolean;
  denyDelete?: boolean;
  denyPurge?: boolean;
  allowRollupHdrs?: boolean;
  allowMsgTtl?: boolean;
  subjectDeleteMarkerTtl?: Duration;
  allowMsgCounter?: boolean;
  allowAtomic?: boolean;
  allowMsgSchedules?: boolean;
  allowBatched?: boolean;
  persistMode?: "default" | "async";
  consumerLimits?: { inactiveThreshold?: Duration; maxAckPending?: number };
  metadata?: Record<string, string>;
}

export interface SubjectTransformSpec {
  src: string;
  dest: string;
}

export interface StreamSourceSpec {
  name: string;
  optStartSeq?: number;
  /** RFC 3339 time. */
  optStartTime?: string;
  filterSubject?: string;
  subjectTransforms?: SubjectTransformSpec[];
  /** A stream in another account or domain, reached through this API prefix. */
  external?: { api: string; deliver?: string };
  /** Shorthand for `external: { api: "$JS.<domain>.API" }`. */
  domain?: string;
}
