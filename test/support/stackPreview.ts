import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { MockedResource, SECRET } from "../../scripts/mockPreview";
import type { ClusterInfo } from "../../components/superCluster";

/** How long a test that previews a stack may take: a ts-node process and 100-odd mocked resources. */
export const PREVIEW_TIMEOUT_MS = 120_000;

export interface StackPreview {
  resources: MockedResource[];
  outputs: { clusters: Record<string, ClusterInfo> } & Record<string, unknown>;
}

/**
 * `npm run preview:mocks -- <stack> --json`, in a process of its own: Pulumi's closure serializer
 * cannot walk @pulumi/kubernetes inside Jest's module registry.
 */
export function previewStack(stack: string): StackPreview {
  const result = spawnSync(
    process.execPath,
    [require.resolve("ts-node/dist/bin"), "--transpile-only", "scripts/mockPreview.ts", stack, "--json"],
    {
      cwd: path.join(__dirname, "..", ".."),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    },
  );
  if (result.status !== 0)
    throw new Error(`the mock preview of ${stack} failed: ${result.stderr}${result.error ?? ""}`);
  return JSON.parse(result.stdout) as StackPreview;
}

/** previewStack on a stack file of `config` written for the occasion (and removed after). */
export function previewConfig(stack: string, config: Record<string, unknown>): StackPreview {
  const file = path.join(__dirname, "..", "..", "stacks", `Pulumi.${stack}.yaml`);
  const lines = Object.entries(config).map(
    ([key, value]) => `  nats-global:${key}: ${JSON.stringify(value)}`,
  );
  fs.writeFileSync(file, `config:\n${lines.join("\n")}\n`);
  try {
    return previewStack(stack);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** What a resource of `kind` (e.g. "kubernetes:apps/v1:StatefulSet") registered under mocks. */
export const ofKind = <R extends { type: string }>(resources: R[], kind: string): R[] =>
  resources.filter((r) => r.type === kind);

/** A value as the mock preview prints it: a secret as `{ "<secret>": value }`. */
export const revealed = (value: unknown): unknown =>
  value !== null && typeof value === "object" && SECRET in value
    ? (value as Record<string, unknown>)[SECRET]
    : value;
