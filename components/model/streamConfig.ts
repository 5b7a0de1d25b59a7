import { StreamSpec } from "./streamSpec";
import { sameInstant, specToWire, WireConfig, wireToSpec, withoutDefaults, withoutEmpty } from "./wireConfig";

/** A stream configuration as the JetStream API speaks it. */
export type WireStreamConfig = WireConfig;

const TWO_MINUTES_NS = 120e9;

/** What the server fills in for a field that is left out; a field equal to it is left out again. */
export const STREAM_DEFAULTS: Readonly<WireStreamConfig> = {
  retention: "limits",
  max_consumers: -1,
  max_msgs: -1,
  max_bytes: -1,
  max_age: 0,
  max_msgs_per_subject: -1,
  max_msg_size: -1,
  discard: "old",
  discard_new_per_subject: false,
  storage: "file",
  num_replicas: 1,
  no_ack: false,
  compression: "none",
  first_seq: 0,
  allow_direct: false,
  mirror_direct: false,
  sealed: false,
  deny_delete: false,
  deny_purge: false,
  allow_rollup_hdrs: false,
  allow_msg_ttl: false,
  subject_delete_marker_ttl: 0,
  allow_msg_counter: false,
  allow_atomic: false,
  allow_msg_schedules: false,
  allow_batched: false,
  persist_mode: "default",
};

/** Every top-level field this package manages; others the server reports are not its business. */
export const STREAM_FIELDS: readonly string[] = [
  "name",
  "subjects",
  "description",
  ...Object.keys(STREAM_DEFAULTS),
  "duplicate_window",
  "placement",
  "mirror",
  "sources",
  "subject_transform",
  "republish",
  "consumer_limits",
  "metadata",
];

export const DURATION_FIELDS: readonly string[] = [
  "max_age",
  "duplicate_window",
  "subject_delete_marker_ttl",
  "inactive_threshold",
];

/** The JSON the API takes for a (validated) spec. */
export function toWire(spec: StreamSpec): WireStreamConfig {
  const wire = specToWire(spec, DURATION_FIELDS);
  const expand = (source: Record<string, unknown>) => {
    const { domain, ...rest } = source;
    return domain === undefined ? rest : { ...rest, external: { api: `$JS.${domain}.API` } };
  };
  if (wire.mirror !== undefined) wire.mirror = expand(wire.mirror as Record<string, unknown>);
  if (wire.sources !== undefined) wire.sources = (wire.sources as Record<string, unknown>[]).map(expand);
  return wire;
}

/**
 * The server's duplicate window when none is given: none for a stream without subjects (it only
 * sources or mirrors), else 2 minutes, or max_age when that is shorter.
 */
function defaultDuplicateWindow(config: WireStreamConfig): number {
  if (((config.subjects as string[] | undefined) ?? []).length === 0) return 0;
  const maxAge = (config.max_age as number | undefined) ?? 0;
  return maxAge > 0 && maxAge < TWO_MINUTES_NS ? maxAge : TWO_MINUTES_NS;
}

function normalizeSource(source: Record<string, unknown>): Record<string, unknown> {
  const { opt_start_seq, opt_start_time, ...rest } = source;
  return withoutEmpty({
    ...rest,
    ...(opt_start_seq ? { opt_start_seq } : {}),
    ...(opt_start_time ? { opt_start_time: sameInstant(opt_start_time) } : {}),
  });
}

/**
 * The comparable form of a stream configuration, whether wanted or read from a server: only the
 * managed fields, without server defaults, server metadata or empty values. Two configurations mean
 * the same stream exactly when their normal forms are equal.
 */
export function normalizeWire(config: WireStreamConfig): WireStreamConfig {
  const out = withoutDefaults(config, STREAM_FIELDS, STREAM_DEFAULTS);
  if (out.duplicate_window === defaultDuplicateWindow(out)) delete out.duplicate_window;
  // On a mirror the server decides it, from the origin's allow_direct.
  if (out.mirror !== undefined) delete out.mirror_direct;
  if (out.mirror !== undefined) out.mirror = normalizeSource(out.mirror as Record<string, unknown>);
  if (out.sources !== undefined) {
    out.sources = (out.sources as Record<string, unknown>[]).map(normalizeSource);
  }
  const limits = out.consumer_limits as Record<string, number> | undefined;
  if (limits !== undefined) {
    out.consumer_limits = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== 0));
  }
  return withoutEmpty(out);
}

/** The canonical Pulumi inputs of a normal-form configuration: camelCase, durations like "1h". */
export function fromWire(normal: WireStreamConfig): StreamSpec {
  return wireToSpec<StreamSpec>(normal, DURATION_FIELDS);
}

/** The canonical inputs of a spec: what state holds and previews show. */
export function canonicalSpec(spec: StreamSpec): StreamSpec {
  return fromWire(normalizeWire(toWire(spec)));
}
