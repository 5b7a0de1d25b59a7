import { Duration } from "./durations";

/**
 * A durable JetStream consumer as Pulumi inputs: the server's consumer configuration in camelCase,
 * durations as "30s" or nanoseconds. A `deliverSubject` makes it a push consumer, else it is pulled.
 */
export interface ConsumerSpec {
  /** The stream it consumes. */
  stream: string;
  /** The durable name. */
  name: string;
  description?: string;
  deliverPolicy?: "all" | "last" | "new" | "by_start_sequence" | "by_start_time" | "last_per_subject";
  optStartSeq?: number;
  /** RFC 3339 time. */
  optStartTime?: string;
  ackPolicy?: "none" | "all" | "explicit";
  ackWait?: Duration;
  maxDeliver?: number;
  backoff?: Duration[];
  filterSubject?: string;
  filterSubjects?: string[];
  replayPolicy?: "instant" | "original";
  rateLimitBps?: number;
  /** Sampling percentage for ack advisories, like "50%". */
  sampleFreq?: string;
  maxWaiting?: number;
  maxAckPending?: number;
  headersOnly?: boolean;
  maxBatch?: number;
  maxExpires?: Duration;
  maxBytes?: number;
  inactiveThreshold?: Duration;
  numReplicas?: number;
  memStorage?: boolean;
  metadata?: Record<string, string>;
  /** RFC 3339 time until which the consumer delivers nothing. */
  pauseUntil?: string;
  deliverSubject?: string;
  deliverGroup?: string;
  flowControl?: boolean;
  idleHeartbeat?: Duration;
  priorityGroups?: string[];
  priorityPolicy?: "none" | "overflow" | "pinned_client" | "prioritized";
  priorityTimeout?: Duration;
}
