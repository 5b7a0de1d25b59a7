import { NatsServerConfig } from "../../components/model/serverConfig";
import { RegionArgs } from "../../components/platforms/registry";
import { SuperCluster, SuperClusterArgs } from "../../components/superCluster";
import type { Registered } from "./mocks";
import { ofKind, revealed } from "./stackPreview";

export const K8S_REGION_NAMES = ["west", "central", "east"];

/** The seed's shape on three Kubernetes clusters, one per region, each server behind its own load balancer. */
export function kubernetesRegions(): RegionArgs[] {
  return K8S_REGION_NAMES.map((name) => ({
    name,
    platform: "k8s",
    zones: [`${name}-a`, `${name}-b`, `${name}-c`],
    k8s: {
      kubeconfig: `kubeconfig of ${name}`,
      expose: {
        host: `{server}.${name}.nats.example.com`,
        annotations: { "external-dns.alpha.kubernetes.io/hostname": `{server}.${name}.nats.example.com` },
      },
      storage: { size: "20Gi", storageClass: "fast" },
    },
  }));
}

export function kubernetesSuperCluster(extra: Partial<SuperClusterArgs> = {}): SuperCluster {
  return new SuperCluster("nats", {
    regions: kubernetesRegions(),
    stretch: { regions: K8S_REGION_NAMES },
    security: { mode: "operator" },
    ...extra,
  });
}

/** Each server's config, as its Secret holds it, by server name. */
export function configsInSecrets(registered: Registered[]): Map<string, NatsServerConfig> {
  return new Map(
    ofKind(registered, "kubernetes:core/v1:Secret").map((secret) => {
      const data = revealed(secret.inputs.stringData) as Record<string, unknown>;
      const config = JSON.parse(revealed(data["nats.conf"]) as string) as NatsServerConfig;
      return [config.server_name, config];
    }),
  );
}
