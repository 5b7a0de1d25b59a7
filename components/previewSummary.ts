/*
 * A preview as a reviewer reads it in a pull request: what each virtual stream and each cluster
 * gets created, updated (field by field, old → new), replaced or deleted, and, first, a warning
 * for every change that loses messages or starts copying data between regions or clouds. Made from
 * the engine's step events (what `pulumi preview --json` prints as `steps`, and Automation API's
 * `onEvent` hands over as resourcePreEvent), so it reads the provider's own diff.
 */
import { parseDuration } from "./model/durations";

/** One step of a preview, as the engine reports it (Automation API's StepEventMetadata). */
export interface PreviewStep {
  op: string;
  urn: string;
  type: string;
  old?: { type: string; parent?: string; inputs?: Record<string, unknown> };
  new?: { type: string; parent?: string; inputs?: Record<string, unknown> };
  /** The properties that force a replacement. */
  keys?: string[];
}

interface Change {
  kind: "create" | "update" | "replace" | "delete";
  what: string;
  details: string[];
}

const STREAM_TYPE = "pulumi-nodejs:dynamic/jetstream:Stream";
const VIRTUAL_STREAM_TYPE = "nats-global:index:VirtualStream";
const CLUSTER_TYPE = /^nats-global:(\w+):Cluster$/;
/** The limits under which a stream keeps messages: lowering one removes what no longer fits. */
const LIMITS = ["maxAge", "maxBytes", "maxMsgs", "maxMsgsPerSubject"];
const KIND_OF_OP: Record<string, Change["kind"] | undefined> = {
  create: "create",
  update: "update",
  replace: "replace",
  "create-replacement": "replace",
  "delete-replaced": "replace",
  delete: "delete",
};

const nameOf = (urn: string) => urn.split("::").pop() as string;
/** An input as a reviewer reads it: sources and mirrors by their origins' names. */
function show(value: unknown): string {
  if (value === undefined) return "(default)";
  if (value === UNKNOWN) return "(known after the update)";
  const named = (v: unknown) => typeof (v as { name?: unknown } | null)?.name === "string";
  if (Array.isArray(value) && value.length > 0 && value.every(named)) {
    return value.map((v: { name: string }) => v.name).join(", ");
  }
  return JSON.stringify(value);
}
/** What the engine shows for a value that the update computes. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The key by which the engine marks a secret value in its events (its ciphertext withheld). */
const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";
/** Values longer than this together (a server's whole config) are named, not shown. */
const MAX_SHOWN = 120;
const inputsOf = (step: PreviewStep) => step.new?.inputs ?? step.old?.inputs ?? {};

/** The Markdown summary of `steps` for the stack `stackName`. */
export function previewSummary(stackName: string, steps: PreviewStep[]): string {
  const byUrn = new Map(steps.map((s) => [s.urn, s]));
  const streams = new Map(
    steps.filter((s) => s.type === STREAM_TYPE).map((s) => [String(inputsOf(s).name ?? nameOf(s.urn)), s]),
  );
  const platformOfCluster = clusterPlatforms(steps);
  const changes = new Map<string, Change[]>();
  const warnings: string[] = [];
  for (const step of representativeSteps(steps)) {
    const kind = KIND_OF_OP[step.op] as Change["kind"];
    const group = groupOf(step, byUrn);
    const label =
      step.type === STREAM_TYPE
        ? `stream \`${inputsOf(step).name}\``
        : `${shortType(step.type)} \`${nameOf(step.urn)}\``;
    const details = kind === "update" || kind === "replace" ? fieldChanges(step) : [];
    if (kind === "replace" && step.keys?.length) details.unshift(`replaced for ${step.keys.join(", ")}`);
    changes.set(group, [...(changes.get(group) ?? []), { kind, what: label, details }]);
    warnings.push(
      ...lossWarnings(step, kind, label),
      ...crossingWarnings(step, kind, streams, platformOfCluster),
    );
  }
  const counts = (["create", "update", "replace", "delete"] as const).map(
    (kind) => `${[...changes.values()].flat().filter((c) => c.kind === kind).length} to ${kind}`,
  );
  const lines = [`## Preview of \`${stackName}\`: ${counts.join(", ")}`, ""];
  if (warnings.length > 0) lines.push("> [!WARNING]", ...warnings.sort().map((w) => `> - ${w}`), "");
  if (changes.size === 0) lines.push("No change.");
  for (const [group, list] of [...changes.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`### ${group}`, "", "| change | resource | fields (old → new) |", "| --- | --- | --- |");
    for (const change of list) {
      lines.push(`| ${change.kind} | ${change.what} | ${change.details.join("<br>") || ""} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

/**
 * One step per changed resource. A replacement comes as up to three steps (the replacement
 * created, the replace, the old one deleted); the `replace` step has both the old and new inputs.
 * Providers are how resources are reached, not what a reviewer reviews.
 */
function representativeSteps(steps: PreviewStep[]): PreviewStep[] {
  const chosen = new Map<string, PreviewStep>();
  for (const step of steps) {
    if (KIND_OF_OP[step.op] === undefined || step.type.startsWith("pulumi:providers:")) continue;
    const earlier = chosen.get(step.urn);
    if (earlier === undefined || step.op === "replace") chosen.set(step.urn, step);
  }
  const order = ["create", "update", "replace", "delete"];
  return [...chosen.values()].sort(
    (a, b) =>
      order.indexOf(KIND_OF_OP[a.op] as string) - order.indexOf(KIND_OF_OP[b.op] as string) ||
      a.urn.localeCompare(b.urn),
  );
}

/** The virtual stream or cluster a resource belongs to, by its nearest such ancestor. */
function groupOf(step: PreviewStep, byUrn: Map<string, PreviewStep>): string {
  for (let urn: string | undefined = step.urn; urn !== undefined; ) {
    const at = byUrn.get(urn);
    const type = at?.type ?? step.type;
    if (type === VIRTUAL_STREAM_TYPE) return `Virtual stream \`${nameOf(urn)}\``;
    if (CLUSTER_TYPE.test(type)) return `Cluster \`${nameOf(urn)}\``;
    urn = at?.new?.parent ?? at?.old?.parent;
  }
  return "Super-cluster and the rest";
}

/** `nats-global:local:Cluster` → `Cluster`; a dynamic resource by its own type name. */
const shortType = (type: string) => type.split(":").pop() as string;

/**
 * Per changed top-level input, old → new, from the inputs themselves (dynamic providers report no
 * detailed diff): secrets as the engine masks them, no provider code, long values only named.
 */
function fieldChanges(step: PreviewStep): string[] {
  const before = step.old?.inputs ?? {};
  const after = step.new?.inputs ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((field) => !field.startsWith("__"))
    .filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]))
    .sort();
  return fields.map((field) => {
    const [old, now] = [show(before[field]), show(after[field])];
    if ([old, now].some((text) => text.includes(SECRET_SIGNATURE))) return `${field}: (secret) changed`;
    if (old.length + now.length > MAX_SHOWN) return `${field}: changed`;
    return `${field}: ${old} → ${now}`;
  });
}

/** A stream deleted or replaced takes its messages with it; a lower limit removes what exceeds it. */
function lossWarnings(step: PreviewStep, kind: Change["kind"], label: string): string[] {
  const warnings: string[] = [];
  if (step.type === STREAM_TYPE && (kind === "delete" || kind === "replace")) {
    warnings.push(
      `**Messages lost**: ${label} is ${kind === "delete" ? "deleted" : "replaced (deleted, then created empty)"} with every message it holds`,
    );
  }
  if (step.type === STREAM_TYPE && kind === "update") {
    for (const limit of LIMITS) {
      const before = step.old?.inputs?.[limit];
      const after = step.new?.inputs?.[limit];
      if (lowered(before, after)) {
        const outage = limit === "maxAge" && /-write-/.test(String(step.new?.inputs?.name));
        warnings.push(
          `**Messages lost**: ${label} keeps less, ${limit} ${show(before)} → ${show(after)}` +
            (outage
              ? ": the outage window a region may be cut off for is shorter"
              : ": what exceeds it is removed"),
        );
      }
    }
  }
  if (CLUSTER_TYPE.test(step.type) && kind === "delete") {
    warnings.push(
      `**Region or cluster removed**: \`${nameOf(step.urn)}\`, its servers and the data they hold`,
    );
  }
  return warnings;
}

/** Whether a limit went down: a number, or a duration the providers take ("1h", nanoseconds). */
function lowered(before: unknown, after: unknown): boolean {
  const size = (value: unknown) => (typeof value === "string" ? parseDuration(value) : value);
  const [a, b] = [size(before), size(after)];
  // Unset or 0 is no limit at all.
  if (typeof b !== "number" || b <= 0) return false;
  return typeof a !== "number" || a <= 0 || b < a;
}

/** Each cluster's platform, from its component's type (`nats-global:<platform>:Cluster`). */
function clusterPlatforms(steps: PreviewStep[]): Map<string, string> {
  const platforms = new Map<string, string>();
  for (const step of steps) {
    const platform = CLUSTER_TYPE.exec(step.type)?.[1];
    if (platform !== undefined) platforms.set(nameOf(step.urn), platform);
  }
  return platforms;
}

/** New sources and mirrors whose origin is placed in another cluster: data that starts to travel. */
function crossingWarnings(
  step: PreviewStep,
  kind: Change["kind"],
  streams: Map<string, PreviewStep>,
  platformOfCluster: Map<string, string>,
): string[] {
  if (step.type !== STREAM_TYPE || kind === "delete") return [];
  const origins = (inputs: Record<string, unknown> | undefined) =>
    [inputs?.mirror, ...((inputs?.sources as unknown[]) ?? [])]
      .filter((o): o is { name: string } => typeof (o as { name?: unknown })?.name === "string")
      .map((o) => o.name);
  const before = new Set(kind === "create" ? [] : origins(step.old?.inputs));
  const clusterOf = (inputs: Record<string, unknown> | undefined) =>
    (inputs?.placement as { cluster?: string } | undefined)?.cluster;
  const here = clusterOf(step.new?.inputs);
  const crossings = origins(step.new?.inputs)
    .filter((origin) => !before.has(origin))
    .map((origin) => {
      const at = streams.get(origin);
      return { origin, there: at === undefined ? undefined : clusterOf(inputsOf(at)) };
    })
    .filter(({ there }) => here !== undefined && there !== undefined && there !== here);
  if (crossings.length === 0) return [];
  const platformOf = (cluster: string) =>
    [...platformOfCluster.entries()].find(([name]) => name.endsWith(`-${cluster}`))?.[1];
  const clouds = crossings.some(({ there }) => platformOf(there as string) !== platformOf(here as string));
  const list = crossings.map(({ origin, there }) => `\`${origin}\` (${there} → ${here})`).join(", ");
  return [
    `**Data ${clouds ? "across clouds" : "across regions"}**: stream \`${step.new?.inputs?.name}\` starts copying ${list}`,
  ];
}
