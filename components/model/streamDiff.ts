import { normalizeWire, STREAM_DEFAULTS, toWire, WireStreamConfig } from "./streamConfig";
import { StreamSpec } from "./streamSpec";
import { changedKeys, snakeToCamel } from "./wireConfig";

export interface StreamChanges {
  /** Fields (camelCase) whose value changes. */
  changed: string[];
  /** Of those, the ones the server cannot change in place: the stream must be replaced. */
  replaces: string[];
}

/** Fields fixed at creation (verified against nats-server 2.15: the update is refused or ignored). */
const FIXED: readonly string[] = ["name", "storage", "persist_mode", "allow_msg_counter", "first_seq"];
/** Flags the server lets you turn on but never off again. */
const ONE_WAY: readonly string[] = [
  "sealed",
  "deny_delete",
  "deny_purge",
  "allow_msg_ttl",
  "allow_msg_schedules",
];

function valueOf(config: WireStreamConfig, key: string): unknown {
  return config[key] ?? STREAM_DEFAULTS[key];
}

function needsReplacement(key: string, before: WireStreamConfig, after: WireStreamConfig): boolean {
  if (FIXED.includes(key)) return true;
  if (ONE_WAY.includes(key)) return valueOf(before, key) === true && valueOf(after, key) !== true;
  // Limits and interest swap in place; to or from workqueue is refused.
  if (key === "retention") return valueOf(before, key) === "workqueue" || valueOf(after, key) === "workqueue";
  // A mirror can be removed (2.12+) but neither added nor changed.
  if (key === "mirror") return after.mirror !== undefined;
  return false;
}

/** What it takes to go from one stream configuration to another. */
export function streamChanges(before: StreamSpec, after: StreamSpec): StreamChanges {
  const [b, a] = [normalizeWire(toWire(before)), normalizeWire(toWire(after))];
  const changed = changedKeys(b, a);
  return {
    changed: changed.map(snakeToCamel),
    replaces: changed.filter((key) => needsReplacement(key, b, a)).map(snakeToCamel),
  };
}
