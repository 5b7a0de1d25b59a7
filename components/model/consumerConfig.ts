import { ConsumerSpec } from "./consumerSpec";
import {
  changedKeys,
  sameInstant,
  snakeToCamel,
  specToWire,
  WireConfig,
  wireToSpec,
  withoutDefaults,
  withoutEmpty,
} from "./wireConfig";

/** What the server fills in for any consumer (verified against nats-server 2.15). */
const CONSUMER_DEFAULTS: Readonly<WireConfig> = {
  deliver_policy: "all",
  ack_policy: "none",
  max_deliver: -1,
  replay_policy: "instant",
  num_replicas: 0,
  rate_limit_bps: 0,
  headers_only: false,
  mem_storage: false,
  flow_control: false,
  max_batch: 0,
  max_expires: 0,
  max_bytes: 0,
  inactive_threshold: 0,
  idle_heartbeat: 0,
  priority_policy: "none",
  priority_timeout: 0,
};

/** What the server fills in for consumers that ack, and for pull consumers. */
const ACKING_DEFAULTS: Readonly<WireConfig> = { ack_wait: 30e9, max_ack_pending: 1000 };
const PULL_DEFAULTS: Readonly<WireConfig> = { max_waiting: 512 };

/** Every field this package manages; an update sends them all (see consumerUpdate). */
const CONSUMER_FIELDS: readonly string[] = [
  "name",
  "description",
  "opt_start_seq",
  "opt_start_time",
  "ack_wait",
  "backoff",
  "filter_subject",
  "filter_subjects",
  "sample_freq",
  "max_waiting",
  "max_ack_pending",
  "metadata",
  "pause_until",
  "deliver_subject",
  "deliver_group",
  "priority_groups",
  ...Object.keys(CONSUMER_DEFAULTS),
];

const DURATION_FIELDS: readonly string[] = [
  "ack_wait",
  "backoff",
  "max_expires",
  "inactive_threshold",
  "idle_heartbeat",
  "priority_timeout",
];

/** Changes the server refuses on a live consumer (verified against nats-server 2.15). */
const FIXED: readonly string[] = [
  "stream",
  "name",
  "deliver_policy",
  "ack_policy",
  "replay_policy",
  "max_waiting",
  "mem_storage",
  "opt_start_seq",
  "opt_start_time",
  "flow_control",
  "idle_heartbeat",
];

/** The consumer configuration the API takes (the stream goes in the request subject). */
export function consumerToWire(spec: ConsumerSpec): WireConfig {
  const { stream, ...config } = spec;
  const wire = specToWire(config, DURATION_FIELDS);
  return { ...wire, durable_name: spec.name };
}

/**
 * The whole configuration for an update, with undefined for every managed field left out: nats.js
 * merges an update into the current config, so a field removed from the spec must be sent to go.
 */
export function consumerUpdate(spec: ConsumerSpec): WireConfig {
  const wire = consumerToWire(spec);
  return { ...Object.fromEntries(CONSUMER_FIELDS.map((k) => [k, undefined])), ...wire };
}

/** The comparable form of a consumer configuration, wanted or read back: see normalizeWire. */
export function normalizeConsumerWire(config: WireConfig): WireConfig {
  const out = withoutDefaults(config, CONSUMER_FIELDS, CONSUMER_DEFAULTS);
  const contextual = {
    ...((out.ack_policy ?? "none") !== "none" ? ACKING_DEFAULTS : {}),
    ...(out.deliver_subject === undefined ? PULL_DEFAULTS : {}),
  };
  for (const [key, value] of Object.entries(contextual)) if (out[key] === value) delete out[key];
  for (const key of ["opt_start_time", "pause_until"]) if (out[key]) out[key] = sameInstant(out[key]);
  return withoutEmpty(out);
}

/** The canonical inputs of a consumer read from `stream`: camelCase, durations like "30s". */
export function consumerFromWire(stream: string, config: WireConfig): ConsumerSpec {
  return {
    stream,
    ...wireToSpec<Omit<ConsumerSpec, "stream">>(normalizeConsumerWire(config), DURATION_FIELDS),
  };
}

/** The canonical inputs of a consumer: what state holds and previews show. */
export function canonicalConsumer(spec: ConsumerSpec): ConsumerSpec {
  return consumerFromWire(spec.stream, consumerToWire(spec));
}

/** What it takes to go from one consumer configuration to another. */
export function consumerChanges(before: ConsumerSpec, after: ConsumerSpec) {
  const normal = (spec: ConsumerSpec): WireConfig => ({
    ...normalizeConsumerWire(consumerToWire(spec)),
    stream: spec.stream,
  });
  const [b, a] = [normal(before), normal(after)];
  const changed = changedKeys(b, a);
  const replaces = changed.filter(
    (key) =>
      FIXED.includes(key) || (key === "deliver_subject" && (b[key] === undefined) !== (a[key] === undefined)),
  );
  return { changed: changed.map(snakeToCamel), replaces: replaces.map(snakeToCamel) };
}
