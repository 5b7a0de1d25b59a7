import { hostPort } from "../../components/model/endpoints";
import { recordingMocks, Registered } from "../support/mocks";
import {
  configsInSecrets,
  K8S_REGION_NAMES,
  kubernetesRegions,
  kubernetesSuperCluster,
  ofKind,
  revealed,
} from "../support/kubernetesTopology";
import { SECRET } from "../../scripts/mockPreview";
import { PREVIEW_TIMEOUT_MS, previewStack, StackPreview } from "../support/stackPreview";

const mocks = recordingMocks();

const SERVERS = [
  ...K8S_REGION_NAMES.flatMap((region) => [1, 2, 3].map((k) => `${region}-${k}`)),
  "stretch-1",
  "stretch-2",
  "stretch-3",
];
/** Where each server's region is, stretch servers by their host region. */
const regionOf = (server: string) =>
  server.startsWith("stretch-") ? K8S_REGION_NAMES[Number(server.slice(-1)) - 1] : server.split("-")[0];
const external = (server: string) => `${server}.${regionOf(server)}.nats.example.com`;
const podDns = (server: string) => `${server}-0.${server.split("-")[0]}-headless.nats.svc.cluster.local`;

const spec = (r: Registered) => r.inputs.spec as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const named = (registered: Registered[], name: string) =>
  registered.filter((r) => (r.inputs.metadata as { name?: string } | undefined)?.name === name);

describe("the k8s stack (stacks/Pulumi.k8s.yaml) under mocks", () => {
  let preview: StackPreview;
  beforeAll(() => {
    preview = previewStack("k8s");
  }, PREVIEW_TIMEOUT_MS);

  it("makes per region a provider and namespace, per cluster and region its Services and PDB, per server a Secret, a load balancer and a StatefulSet", () => {
    const count = (kind: string) => ofKind(preview.resources, kind).length;
    expect(count("pulumi:providers:kubernetes")).toBe(3);
    expect(count("kubernetes:core/v1:Namespace")).toBe(3);
    // west, central, east: one set each; the stretch cluster: one in each of the three clusters.
    expect(count("kubernetes:policy/v1:PodDisruptionBudget")).toBe(6);
    expect(count("kubernetes:core/v1:Service")).toBe(6 * 2 + 12);
    expect(count("kubernetes:core/v1:Secret")).toBe(12);
    expect(count("kubernetes:apps/v1:StatefulSet")).toBe(12);
    expect(ofKind(preview.resources, "nats-global:k8s:Cluster").map((r) => r.name)).toEqual([
      "nats-west-k8s",
      "nats-central-k8s",
      "nats-east-k8s",
      "nats-stretch-k8s",
    ]);
    const pdb = ofKind(preview.resources, "kubernetes:policy/v1:PodDisruptionBudget")[0];
    expect(spec(pdb).maxUnavailable).toBe(1);
  });

  it("pins each server to its planned zone, on its own volume, as a non-root pod that stops in lame duck mode", () => {
    for (const server of SERVERS) {
      const [sts] = named(ofKind(preview.resources, "kubernetes:apps/v1:StatefulSet"), server);
      const pod = spec(sts).template.spec;
      const zone =
        pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
          .matchExpressions[0];
      const config = configsInSecrets(preview.resources).get(server);
      const azTag = config?.server_tags.find((t) => t.startsWith("az:"));
      expect(zone).toEqual({ key: "topology.kubernetes.io/zone", operator: "In", values: [azTag?.slice(3)] });
      expect(spec(sts).replicas).toBe(1);
      expect(spec(sts).volumeClaimTemplates[0].spec).toEqual({
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: "20Gi" } },
      });
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
      const nats = pod.containers.find((c: { name: string }) => c.name === "nats");
      expect(nats.lifecycle.preStop.exec.command).toEqual(["nats-server", "-sl=ldm=/var/run/nats/nats.pid"]);
      expect(nats.readinessProbe.httpGet).toEqual({
        path: "/healthz?js-server-only=true",
        port: "monitor",
        scheme: "HTTPS",
      });
      expect(nats.resources).toEqual({
        requests: { cpu: "2", memory: "4Gi" },
        limits: { cpu: "2", memory: "4Gi" },
      });
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30 + 10 + 20);
      expect(config?.lame_duck_duration).toBe("30s");
      expect(config?.pid_file).toBe("/var/run/nats/nats.pid");
    }
  });

  it("puts each server behind its own load balancer, opening routes only for stretch servers", () => {
    for (const server of SERVERS) {
      const [service] = named(ofKind(preview.resources, "kubernetes:core/v1:Service"), `${server}-external`);
      expect(spec(service).type).toBe("LoadBalancer");
      expect(spec(service).selector["nats-global/server"]).toBe(server);
      expect(spec(service).publishNotReadyAddresses).toBe(true);
      const ports = spec(service).ports.map((p: { name: string; port: number }) => `${p.name}:${p.port}`);
      expect(ports).toEqual(
        server.startsWith("stretch-")
          ? ["client:4222", "cluster:6222", "gateway:7222"]
          : ["client:4222", "gateway:7222"],
      );
      expect((service.inputs.metadata as { annotations: object }).annotations).toEqual({
        // The template's {server}, filled in per server: each load balancer gets its own DNS name.
        "external-dns.alpha.kubernetes.io/hostname": external(server),
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
      });
    }
  });

  it("advertises only addresses the other side reaches: load balancers across clusters, pod DNS names within", () => {
    const configs = configsInSecrets(preview.resources);
    expect([...configs.keys()].sort()).toEqual([...SERVERS].sort());
    for (const [server, config] of configs) {
      const stretch = server.startsWith("stretch-");
      expect(config.client_advertise).toBe(`${external(server)}:4222`);
      expect(config.gateway.advertise).toBe(`${external(server)}:7222`);
      expect(config.cluster.advertise).toBe(stretch ? `${external(server)}:6222` : `${podDns(server)}:6222`);
      expect(config.listen).toBe("0.0.0.0:4222");
      expect(config.https).toBe("0.0.0.0:8222");
      // Every gateway URL leads to another server's load balancer, never to a pod.
      for (const gateway of config.gateway.gateways) {
        const members = SERVERS.filter((s) => s.startsWith(`${gateway.name}-`));
        expect(gateway.urls).toEqual(members.map((s) => `nats://${external(s)}:7222`));
      }
      const mates = SERVERS.filter((s) => s.split("-")[0] === server.split("-")[0]);
      expect(config.cluster.routes).toEqual(
        mates.map(
          (s) =>
            `nats-route://${hostPort(stretch ? { host: external(s), port: 6222 } : { host: podDns(s), port: 6222 })}`,
        ),
      );
      expect(config.server_tags).toEqual(expect.arrayContaining([`region:${regionOf(server)}`, "cloud:k8s"]));
      expect(config.jetstream.store_dir).toBe("/data/jetstream");
      expect(config.tls?.cert_file).toBe("/etc/nats-config/server.pem");
    }
  });

  it("reports the load balancers as client URLs and the pods as monitoring URLs", () => {
    const clusters = preview.outputs.clusters;
    expect(clusters.west.clientUrls).toEqual(
      ["west-1", "west-2", "west-3"].map((s) => `nats://${external(s)}:4222`),
    );
    expect(clusters.stretch.monitorUrls).toEqual(
      ["stretch-1", "stretch-2", "stretch-3"].map((s) => `https://${podDns(s)}:8222`),
    );
  });

  it("keeps each server's private key in its Secret only, as a secret", () => {
    const [secret] = named(ofKind(preview.resources, "kubernetes:core/v1:Secret"), "west-1-config");
    // Marked secret as a whole: the state holds it encrypted, previews show [secret].
    expect(Object.keys(secret.inputs.stringData as object)).toEqual([SECRET]);
    const data = revealed(secret.inputs.stringData) as Record<string, unknown>;
    expect(revealed(data["server-key.pem"])).toBe("MOCK PRIVATE KEY");
    const elsewhere = preview.resources.filter(
      (r) => r.type.startsWith("kubernetes:") && !r.type.endsWith(":Secret"),
    );
    for (const resource of elsewhere)
      expect(JSON.stringify(resource.inputs)).not.toContain("MOCK PRIVATE KEY");
  });
});

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
