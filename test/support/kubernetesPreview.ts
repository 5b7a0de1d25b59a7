/*
 * Runs the k8s super-cluster of kubernetesTopology.ts under Pulumi mocks, in a process of its own,
 * and prints what it registered and its cluster URLs as JSON. A process of its own because Pulumi's
 * closure serializer cannot walk @pulumi/kubernetes inside Jest's module registry.
 */
import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "child_process";
import * as path from "path";
import type { ClusterInfo } from "../../components/superCluster";
import type { Registered } from "./mocks";
import { SECRET } from "./kubernetesTopology";

export interface KubernetesPreview {
  registered: Registered[];
  clusters: Record<string, ClusterInfo>;
}

/** Unwraps every secret in the wire form the mocks see, at any depth. */
function revealed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealed);
  if (value === null || typeof value !== "object") return value;
  const wire = value as Record<string, unknown>;
  if (wire[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) {
    return { [SECRET]: revealed(wire.value) };
  }
  return Object.fromEntries(Object.entries(wire).map(([k, v]) => [k, revealed(v)]));
}

async function main(): Promise<void> {
  const registered: Registered[] = [];
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({
          type: args.type,
          name: args.name,
          inputs: revealed(args.inputs) as Record<string, unknown>,
        });
        const state = {
          publicKey: "AKEY",
          seed: "SAMOCKSEED",
          jwt: "eyJ",
          certPem: "CERT PEM",
          keyPem: "KEY PEM",
        };
        return { id: `${args.name}-id`, state: { ...args.inputs, ...state } };
      },
      call: (args) => args.inputs,
    },
    "nats-global",
    "unit",
    true,
  );
  const { kubernetesSuperCluster } = await import("./kubernetesTopology");
  const clusters = await new Promise((resolve) => kubernetesSuperCluster().clusters.apply(resolve));
  // Every registration done: the process is the preview's alone.
  await pulumi.runtime.disconnect();
  process.stdout.write(JSON.stringify({ registered, clusters }));
}

/** The preview's resources and outputs, from a process of its own. */
export function previewKubernetes(): KubernetesPreview {
  const result = spawnSync(
    process.execPath,
    [require.resolve("ts-node/dist/bin"), "--transpile-only", __filename, "--run"],
    {
      cwd: path.join(__dirname, "..", ".."),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    },
  );
  if (result.status !== 0) throw new Error(`the k8s preview failed: ${result.stderr}${result.error ?? ""}`);
  return JSON.parse(result.stdout) as KubernetesPreview;
}

if (process.argv.includes("--run")) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
