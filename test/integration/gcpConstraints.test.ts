/*
 * Every value the gcp platform generates, in the gcp and multicloud stacks, held to what the GCP
 * provider and APIs accept (components/platforms/gcp/constraints.ts, each rule with its source): no
 * GCP provider or emulator runs here, so this table is what stands in for them. And the preview-time
 * checks predict exactly the names that the resources get.
 */
import { GCP_CONSTRAINTS, GcpValueKind } from "../../components/platforms/gcp/constraints";
import { MockedResource } from "../../scripts/mockPreview";
import { ofKind, PREVIEW_TIMEOUT_MS, previewStack, revealed, StackPreview } from "../support/stackPreview";
import { generatedGcpValues } from "../../components/platforms/gcp/naming";
import { planSuperCluster } from "../../components/model/plan";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import type { RegionArgs } from "../../components/platforms/registry";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inputs = Record<string, any>;
const AUTONAMED = ["address", "network", "subnetwork", "firewall", "disk", "instance", "resourcePolicy"].map(
  (kind) => `gcp:compute/${kind}:${kind[0].toUpperCase()}${kind.slice(1)}`,
);

/** Each value of a previewed stack's GCP resources, by the kind of rule it must keep. */
function generated(resources: MockedResource[]): Record<GcpValueKind, string[]> {
  const gcp = resources.filter((r) => r.type.startsWith("gcp:"));
  const inputs = (kind: string) => ofKind(gcp, kind).map((r) => r.inputs as Inputs);
  const instances = inputs("gcp:compute/instance:Instance");
  const firewalls = inputs("gcp:compute/firewall:Firewall");
  const labelled: Record<string, string>[] = [
    ...instances.map((i) => i.labels),
    ...inputs("gcp:compute/resourcePolicy:ResourcePolicy").map(
      (p) => p.snapshotSchedulePolicy.snapshotProperties.labels,
    ),
  ];
  return {
    autonamed: gcp.filter((r) => AUTONAMED.includes(r.type)).map((r) => r.name),
    networkTag: [...instances.flatMap((i) => i.tags), ...firewalls.flatMap((f) => f.targetTags)],
    labelKey: labelled.flatMap((labels) => Object.keys(labels)),
    labelValue: labelled.flatMap((labels) => Object.values(labels) as string[]),
    deviceName: instances.flatMap((i) => i.attachedDisks.map((d: Inputs) => d.deviceName)),
    startupScript: instances.map((i) => revealed(i.metadataStartupScript) as string),
    recordSetName: inputs("gcp:dns/recordSet:RecordSet").map((r) => r.name),
    secretId: inputs("gcp:secretmanager/secret:Secret").map((r) => r.secretId),
    serviceAccountId: inputs("gcp:serviceaccount/account:Account").map((r) => r.accountId),
    firewallPort: firewalls.flatMap((f) => f.allows.flatMap((a: Inputs) => a.ports)),
    sourceRange: firewalls.flatMap((f) => f.sourceRanges),
  };
}

const stackRegions = (stack: string): RegionArgs[] =>
  (
    yaml.load(
      fs.readFileSync(path.join(__dirname, "..", "..", "stacks", `Pulumi.${stack}.yaml`), "utf8"),
    ) as {
      config: Record<string, RegionArgs[]>;
    }
  ).config["nats-global:regions"];

describe.each(["gcp", "multicloud"])("the %s stack's GCP values under mocks", (stack) => {
  let preview: StackPreview;
  let values: Record<GcpValueKind, string[]>;

  beforeAll(() => {
    preview = previewStack(stack);
    values = generated(preview.resources);
  }, PREVIEW_TIMEOUT_MS);

  const kinds = (Object.keys(GCP_CONSTRAINTS) as GcpValueKind[]).map((kind) => [
    GCP_CONSTRAINTS[kind].what,
    kind,
  ]);
  it.each(kinds)("every %s keeps GCP's rule", (_, kind) => {
    const generatedValues = values[kind as GcpValueKind];
    expect(generatedValues.length).toBeGreaterThan(0);
    const broken = generatedValues
      .map((value) => ({
        value: value.length > 80 ? `${value.slice(0, 80)}...` : value,
        problem: GCP_CONSTRAINTS[kind as GcpValueKind].problem(value),
      }))
      .filter((v) => v.problem !== undefined);
    expect(broken).toEqual([]);
  });

  it("gets exactly the names, tags and labels that the preview-time checks judge", () => {
    const regions = stackRegions(stack);
    const plan = planSuperCluster({ regions, stretch: { regions: regions.map((r) => r.name) } });
    const predicted = generatedGcpValues(
      "nats",
      stack,
      regions.flatMap((r, i) =>
        r.platform === "gcp" && r.gcp ? [{ at: `regions[${i}]`, name: r.name, args: r.gcp }] : [],
      ),
      plan.clusters.flatMap((c) => c.servers).filter((s) => s.platform === "gcp"),
    );
    for (const kind of [
      "autonamed",
      "networkTag",
      "labelKey",
      "labelValue",
      "deviceName",
      "recordSetName",
      "secretId",
      "serviceAccountId",
    ] as const) {
      const judged = new Set(predicted.filter((v) => v.kind === kind).map((v) => v.value));
      expect({ kind, values: new Set(values[kind]) }).toEqual({ kind, values: judged });
    }
  });
});
