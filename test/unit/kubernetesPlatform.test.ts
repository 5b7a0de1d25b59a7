import type { ServerPlan } from "../../components/model/plan";
import { clientServiceDns, podDns } from "../../components/platforms/kubernetes/layout";
import { quantityBytes } from "../../components/platforms/kubernetes/args";
import { recordingMocks } from "../support/mocks";
import { kubernetesRegions, kubernetesSuperCluster } from "../support/kubernetesTopology";

const mocks = recordingMocks();

describe("k8s input checked at preview", () => {
  const refused = (mutate: (regions: ReturnType<typeof kubernetesRegions>) => void, extra = {}) => {
    const regions = kubernetesRegions();
    mutate(regions);
    try {
      kubernetesSuperCluster({ regions, ...extra });
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("expected the super-cluster to be refused");
  };

  it.each([
    [
      "a region without its cluster",
      (r: ReturnType<typeof kubernetesRegions>) => delete r[0].k8s,
      "regions[0].k8s",
    ],
    [
      "both a provider and a kubeconfig missing",
      (r: ReturnType<typeof kubernetesRegions>) => delete r[1].k8s!.kubeconfig,
      "regions[1].k8s.provider",
    ],
    [
      "a port below 1024",
      (r: ReturnType<typeof kubernetesRegions>) => (r[0].k8s!.ports = { gateway: 443 }),
      "regions[0].k8s.ports.gateway",
    ],
    [
      "one external host for every server",
      (r: ReturnType<typeof kubernetesRegions>) => (r[2].k8s!.expose.host = "nats.example.com"),
      "regions[2].k8s.expose.host",
    ],
    [
      "an address missing for a server",
      (r: ReturnType<typeof kubernetesRegions>) => (r[0].k8s!.expose.host = { "west-1": "10.0.0.1" }),
      "regions[0].k8s.expose.host",
    ],
    ["no zones", (r: ReturnType<typeof kubernetesRegions>) => delete r[0].zones, "regions[0].zones"],
    [
      "a cluster domain that is no DNS domain",
      (r: ReturnType<typeof kubernetesRegions>) => (r[2].k8s!.clusterDomain = "Cluster_Local"),
      "regions[2].k8s.clusterDomain",
    ],
    [
      "a container port that is the metrics exporter's",
      (r: ReturnType<typeof kubernetesRegions>) => (r[1].k8s!.ports = { monitor: 7777 }),
      "regions[1].k8s.ports",
    ],
    [
      "a PodMonitor with no exporter to scrape",
      (r: ReturnType<typeof kubernetesRegions>) =>
        (r[0].k8s!.metrics = { exporter: false, podMonitor: true }),
      "regions[0].k8s.metrics.podMonitor",
    ],
    [
      "a storage size that is not a quantity",
      (r: ReturnType<typeof kubernetesRegions>) => (r[1].k8s!.storage = { size: "20 gigs" }),
      "regions[1].k8s.storage.size",
    ],
    [
      "a region name Kubernetes cannot take",
      (r: ReturnType<typeof kubernetesRegions>) => (r[0].name = "West_1"),
      "regions[0].name",
    ],
    [
      "two regions in one cluster and namespace",
      (r: ReturnType<typeof kubernetesRegions>) => {
        for (const region of r) region.k8s = { ...region.k8s!, kubeconfig: undefined, context: "shared" };
        r[2].k8s!.namespace = "nats-east";
      },
      "regions[1].k8s.namespace",
    ],
    [
      "a local region beside Kubernetes ones, whose gateways they cannot reach",
      (r: ReturnType<typeof kubernetesRegions>) => r.push({ name: "laptop" }),
      "regions[3].platform",
    ],
  ])("refuses %s, naming the field", (_, mutate, field) => {
    const message = refused(mutate, {
      stretch: undefined,
      local: { dataDir: "/tmp/x", natsServerBinary: "/bin/true" },
    });
    expect(message).toContain(`${field}:`);
  });

  it("refuses static mode and TLS off on Kubernetes", () => {
    const message = refused(() => undefined, { security: { mode: "static", tls: false } });
    expect(message).toContain("security.mode:");
    expect(message).toContain("security.tls:");
  });

  it("creates nothing when refused", () => {
    refused((r) => delete r[0].zones);
    expect(mocks.registered.filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
  });
});

describe("Kubernetes quantities", () => {
  it.each([
    ["10Gi", 10 * 2 ** 30],
    ["500Mi", 500 * 2 ** 20],
    ["1.5Ti", 1.5 * 2 ** 40],
    ["20G", 20e9],
    ["512", 512],
  ])("reads %s as %d bytes", (quantity, bytes) => {
    expect(quantityBytes(quantity)).toBe(bytes);
  });

  it("reads nothing from what is not a quantity", () => {
    expect(quantityBytes("10 GiB")).toBeUndefined();
  });
});

describe("Kubernetes DNS names", () => {
  const server = { name: "west-1", cluster: "west" } as ServerPlan;
  it("are in cluster.local unless the cluster's domain is given", () => {
    const k8s = { expose: { host: "{server}.example.com" } };
    expect(podDns(server, k8s)).toBe("west-1-0.west-headless.nats.svc.cluster.local");
    expect(podDns(server, { ...k8s, clusterDomain: "corp.internal" })).toBe(
      "west-1-0.west-headless.nats.svc.corp.internal",
    );
    expect(clientServiceDns("west", { ...k8s, clusterDomain: "corp.internal" })).toBe(
      "west.nats.svc.corp.internal",
    );
  });
});
