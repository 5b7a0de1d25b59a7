/*
 * A preview as a reviewer reads it in a pull request: what each virtual stream and each cluster
 * gets created, updated (field by field, old → new), replaced or deleted, and, first, a warning
 * for every change that loses messages or starts copying data between regions or clouds. Made from
 * the engine's step events (what `pulumi preview --json` prints as `steps`, and Automation API's
 * `onEvent` hands over as resourcePreEvent), so it reads the provider's own diff.
 */
import { parseDuration } from "./model/durations";
import { writeStreamName } from "./model/virtualStream";

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

type Kind = "create" | "import" | "update" | "replace" | "delete";
const KINDS: Kind[] = ["create", "import", "update", "replace", "delete"];

interface Change {
  kind: Kind;
  what: string;
  details: string[];
}

const STREAM_TYPE = "pulumi-nodejs:dynamic/jetstream:Stream";
const VIRTUAL_STREAM_TYPE = "nats-global:index:VirtualStream";
const CLUSTER_TYPE = /^nats-global:(\w+):Cluster$/;
/** The limits under which a stream keeps messages: lowering one removes what no longer fits. */
const LIMITS = ["maxAge", "maxBytes", "maxMsgs", "maxMsgsPerSubject"];
/** What each op a preview reports does to a resource; a replacement is told by its `replace` step. */
const KIND_OF_OP: Record<string, Kind | undefined> = {
  create: "create",
  import: "import",
  update: "update",
  replace: "replace",
  "create-replacement": "replace",
  // Alone (a replacement left pending by an earlier update), it only deletes the old resource.
  "delete-replaced": "delete",
  delete: "delete",
};

const nameOf = (urn: string) => urn.split("::").pop() as string;
/** An input as a reviewer reads it, with what the update computes said in words. */
const show = (value: unknown): string =>
  value === undefined
    ? "(default)"
    : JSON.stringify(value).replaceAll(JSON.stringify(UNKNOWN), "(known after the update)");
/** Sources and mirrors by their origins' names, where those tell them apart. */
function shortly(value: unknown): string | undefined {
  const named = (v: unknown) => typeof (v as { name?: unknown } | null)?.name === "string";
  return Array.isArray(value) && value.length > 0 && value.every(named)
    ? value.map((v: { name: string }) => v.name).join(", ")
    : undefined;
}
/** What the engine shows for a value that the update computes (sig.UnknownStringValue). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** How the engine marks a secret in its events, its value blinded (sig.Key and sig.Secret). */
const SECRET_MARK = '"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270"';
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
  for (const { step, kind, keys } of changedResources(steps)) {
    const { title, virtualStream } = groupOf(step, byUrn);
    const label =
      step.type === STREAM_TYPE
        ? streamLabel(step, virtualStream)
        : `${shortType(step.type)} \`${nameOf(step.urn)}\``;
    const details = kind === "update" || kind === "replace" ? fieldChanges(step) : [];
    if (kind === "replace" && keys.length > 0) details.unshift(`replaced for ${keys.join(", ")}`);
    // Secrets come blinded, all alike, and a dynamic provider's code is left out above.
    if (kind === "update" && details.length === 0) details.push("a secret or the provider's code");
    changes.set(title, [...(changes.get(title) ?? []), { kind, what: label, details }]);
    warnings.push(
      ...lossWarnings(step, kind, label, virtualStream),
      ...crossingWarnings(step, kind, label, streams, platformOfCluster),
    );
  }
  const count = (kind: Kind) => [...changes.values()].flat().filter((c) => c.kind === kind).length;
  const counts = KINDS.filter((kind) => kind !== "import" || count(kind) > 0).map(
    (kind) => `${count(kind)} to ${kind}`,
  );
  const lines = [`## Preview of \`${stackName}\`: ${counts.join(", ")}`, ""];
  if (warnings.length > 0) lines.push("> [!WARNING]", ...warnings.sort().map((w) => `> - ${w}`), "");
  if (changes.size === 0) lines.push("No change.");
  for (const [group, list] of [...changes.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`### ${group}`, "", "| change | resource | fields (old → new) |", "| --- | --- | --- |");
    for (const change of list) {
      lines.push(`| ${change.kind} | ${change.what} | ${change.details.join("<br>")} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

interface Changed {
  step: PreviewStep;
  kind: Kind;
  /** The inputs that force a replacement, from whichever of its steps reports them. */
  keys: string[];
}

/**
 * One entry per changed resource. A replacement comes as up to three steps (the replacement
 * created, the replace, the old one deleted); its `replace` step has both the old and new inputs.
 * Providers are how resources are reached, not what a reviewer reviews.
 */
function changedResources(steps: PreviewStep[]): Changed[] {
  const byUrn = new Map<string, PreviewStep[]>();
  for (const step of steps) {
    if (KIND_OF_OP[step.op] === undefined || step.type.startsWith("pulumi:providers:")) continue;
    byUrn.set(step.urn, [...(byUrn.get(step.urn) ?? []), step]);
  }
  const changed = [...byUrn.values()].map((all): Changed => {
    const replace = all.find((s) => s.op === "replace");
    const step = replace ?? all[0];
    const kind = replace !== undefined ? "replace" : (KIND_OF_OP[step.op] as Kind);
    return { step, kind, keys: [...new Set(all.flatMap((s) => s.keys ?? []))] };
  });
  return changed.sort(
    (a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) || a.step.urn.localeCompare(b.step.urn),
  );
}

/** The virtual stream or cluster a resource belongs to, by its nearest such ancestor. */
function groupOf(
  step: PreviewStep,
  byUrn: Map<string, PreviewStep>,
): { title: string; virtualStream?: string } {
  for (let urn: string | undefined = step.urn; urn !== undefined; ) {
    const at = byUrn.get(urn);
    const type = at?.type ?? step.type;
    if (type === VIRTUAL_STREAM_TYPE) {
      return { title: `Virtual stream \`${nameOf(urn)}\``, virtualStream: nameOf(urn) };
    }
    if (CLUSTER_TYPE.test(type)) return { title: `Cluster \`${nameOf(urn)}\`` };
    urn = at?.new?.parent ?? at?.old?.parent;
  }
  return { title: "Super-cluster and the rest" };
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
    let [old, now] = [shortly(before[field]), shortly(after[field])];
    if (old === undefined || now === undefined || old === now)
      [old, now] = [show(before[field]), show(after[field])];
    if ([old, now].some((text) => text.includes(SECRET_MARK))) return `${field}: (secret) changed`;
    if (old.length + now.length > MAX_SHOWN) return `${field}: changed`;
    return `${field}: ${old} → ${now}`;
  });
}

/** A stream deleted or replaced takes its messages with it; a lower limit removes what exceeds it. */
function lossWarnings(
  step: PreviewStep,
  kind: Kind,
  label: string,
  virtualStream: string | undefined,
): string[] {
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
        const { name, placement } = step.new?.inputs as { name?: string; placement?: { cluster?: string } };
        const outage =
          limit === "maxAge" &&
          virtualStream !== undefined &&
          name === writeStreamName(virtualStream, placement?.cluster ?? "");
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

/**
 * A stream by its name; the region's stream of a virtual name (one per region's account, all of
 * that name) by its region too.
 */
function streamLabel(step: PreviewStep, virtualStream: string | undefined): string {
  const { name, placement } = inputsOf(step) as { name?: string; placement?: { cluster?: string } };
  const where = name === virtualStream && placement?.cluster !== undefined ? ` in ${placement.cluster}` : "";
  return `stream \`${name}\`${where}`;
}

/** New sources and mirrors whose origin is placed in another cluster: data that starts to travel. */
function crossingWarnings(
  step: PreviewStep,
  kind: Kind,
  label: string,
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
  return [`**Data ${clouds ? "across clouds" : "across regions"}**: ${label} starts copying ${list}`];
}
