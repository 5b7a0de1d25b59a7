import { publicName, regionOfServer, SEED_SERVERS } from "../support/seedServers";
import Ajv, { ValidateFunction } from "ajv";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubernetesSchemaDir } from "../support/kubernetesSchemas";
import { expectAcceptedByNatsServer } from "../support/configCheck";
import { hostPort } from "../../components/model/endpoints";
import { Registered } from "../support/mocks";
import { configsInSecrets } from "../support/kubernetesTopology";
import { ofKind, revealed } from "../support/stackPreview";
import { SECRET } from "../../scripts/mockPreview";
import { PREVIEW_TIMEOUT_MS, previewStack, StackPreview } from "../support/stackPreview";

let preview: StackPreview;
let dir: string;
beforeAll(() => {
  preview = previewStack("k8s");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-k8s-"));
}, PREVIEW_TIMEOUT_MS);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const SERVERS = SEED_SERVERS;
const regionOf = regionOfServer;
const external = publicName;
const podDns = (server: string) => `${server}-0.${server.split("-")[0]}-headless.nats.svc.cluster.local`;

const spec = (r: Registered) => r.inputs.spec as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const named = (registered: Registered[], name: string) =>
  registered.filter((r) => (r.inputs.metadata as { name?: string } | undefined)?.name === name);

describe("the k8s stack (stacks/Pulumi.k8s.yaml) under mocks", () => {
  it("makes per region a provider and namespace, per cluster and region its Services and PDB, per server a Secret, a volume claim, a load balancer and a StatefulSet", () => {
    const count = (kind: string) => ofKind(preview.resources, kind).length;
    expect(count("pulumi:providers:kubernetes")).toBe(3);
    // Else the provider replaces a Secret whose data changes: deleted, then made again. (Provider
    // config reaches the engine as strings.)
    for (const provider of ofKind(preview.resources, "pulumi:providers:kubernetes"))
      expect(provider.inputs.enableSecretMutable).toBe("true");
    expect(count("kubernetes:core/v1:Namespace")).toBe(3);
    // west, central, east: one set each; the stretch cluster: one in each of the three clusters.
    expect(count("kubernetes:policy/v1:PodDisruptionBudget")).toBe(6);
    expect(count("kubernetes:core/v1:Service")).toBe(6 * 2 + 12);
    expect(count("kubernetes:core/v1:Secret")).toBe(12);
    expect(count("kubernetes:apps/v1:StatefulSet")).toBe(12);
    expect(count("kubernetes:core/v1:PersistentVolumeClaim")).toBe(12);
    expect(ofKind(preview.resources, "nats-global:k8s:Cluster").map((r) => r.name)).toEqual([
      "nats-west-k8s",
      "nats-central-k8s",
      "nats-east-k8s",
      "nats-stretch-k8s",
    ]);
    // One eviction at a time per cluster; the stretch cluster's budget is its drain region's alone.
    const budgets = Object.fromEntries(
      ofKind(preview.resources, "kubernetes:policy/v1:PodDisruptionBudget").map((pdb) => [
        pdb.name,
        spec(pdb).maxUnavailable,
      ]),
    );
    expect(budgets).toEqual({
      "nats-west-k8s-west-pdb": 1,
      "nats-central-k8s-central-pdb": 1,
      "nats-east-k8s-east-pdb": 1,
      "nats-stretch-k8s-west-pdb": 1,
      "nats-stretch-k8s-central-pdb": 0,
      "nats-stretch-k8s-east-pdb": 0,
    });
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
      // Its own claim, not a claim template, which Kubernetes never changes: a larger size grows it.
      expect(spec(sts).volumeClaimTemplates).toBeUndefined();
      expect(pod.volumes).toContainEqual({
        name: "data",
        persistentVolumeClaim: { claimName: `data-${server}-0` },
      });
      const [claim] = named(
        ofKind(preview.resources, "kubernetes:core/v1:PersistentVolumeClaim"),
        `data-${server}-0`,
      );
      // Not awaited (its pod is), and taking the size over from a claim template's controller.
      expect((claim.inputs.metadata as { annotations: object }).annotations).toEqual({
        "pulumi.com/skipAwait": "true",
        "pulumi.com/patchForce": "true",
      });
      expect(spec(claim)).toEqual({
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: "20Gi" } },
      });
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
      // The API server's admission would mount a service account token into every container.
      expect(pod.automountServiceAccountToken).toBe(false);
      const nats = pod.containers.find((c: { name: string }) => c.name === "nats");
      expect(nats.lifecycle.preStop.exec.command).toEqual(["nats-server", "-sl=ldm=/var/run/nats/nats.pid"]);
      // As the Helm chart's: started only once current with its meta leader and every stream it
      // hosts, then ready while it serves.
      expect(nats.startupProbe.httpGet).toEqual({ path: "/healthz", port: "monitor", scheme: "HTTPS" });
      expect(nats.readinessProbe.httpGet).toEqual({
        path: "/healthz?js-server-only=true",
        port: "monitor",
        scheme: "HTTPS",
      });
      // A first server cannot start alone: `up` leaves waiting for it to the rolling gate, and waits
      // only for the controller to see each change.
      expect((sts.inputs.metadata as { annotations: object }).annotations).toEqual({
        "pulumi.com/waitFor": "jsonpath={.status.observedGeneration}",
      });
      expect(spec(sts).podManagementPolicy).toBe("Parallel");
      expect(nats.resources).toEqual({
        requests: { cpu: "2", memory: "4Gi" },
        limits: { cpu: "2", memory: "4Gi" },
      });
      // 90% of the 4Gi limit: the Go runtime collects harder before the OOM killer comes.
      expect(nats.env).toEqual([{ name: "GOMEMLIMIT", value: "3686MiB" }]);
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
      // JetStream may fill what the volume offers, less the file system's share: 90% of the stack's 20Gi.
      expect(config.jetstream.max_file_store).toBe(Math.floor(20 * 1024 ** 3 * 0.9));
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

  it("waits, with a bound, for every load balancer to answer at its name before reporting client URLs", () => {
    const gates = ofKind(preview.resources, "pulumi-nodejs:dynamic/platforms:ServersAnswering");
    const addresses = gates.flatMap((g) => g.inputs.addresses as string[]);
    expect(addresses.sort()).toEqual(SERVERS.map((s) => `${external(s)}:4222`).sort());
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

  it("runs the chart's metrics exporter beside each server, trusting the CA alone, with a PodMonitor per cluster and region", () => {
    for (const server of SERVERS) {
      const [sts] = named(ofKind(preview.resources, "kubernetes:apps/v1:StatefulSet"), server);
      const pod = spec(sts).template.spec;
      const exporter = pod.containers.find((c: { name: string }) => c.name === "prom-exporter");
      expect(exporter.image).toBe("natsio/prometheus-nats-exporter:0.12.0");
      // Over HTTPS to a name the server's certificate holds, its pod's.
      expect(exporter.args.at(-1)).toBe(`https://${podDns(server)}:8222/`);
      expect(exporter.args).toEqual(expect.arrayContaining(["-port=7777", "-varz", "-jsz=all", "-gatewayz"]));
      expect(exporter.ports).toEqual([{ name: "prom-metrics", containerPort: 7777 }]);
      expect(exporter.env).toEqual([{ name: "SSL_CERT_FILE", value: "/etc/nats-ca/ca.pem" }]);
      expect(exporter.volumeMounts).toEqual([{ name: "ca", mountPath: "/etc/nats-ca", readOnly: true }]);
      // The CA only: the exporter's file system never holds the server's key.
      const ca = pod.volumes.find((v: { name: string }) => v.name === "ca");
      expect(ca.secret.items).toEqual([{ key: "ca.pem", path: "ca.pem" }]);
    }
    const monitors = ofKind(preview.resources, "kubernetes:monitoring.coreos.com/v1:PodMonitor");
    expect(monitors.map((m) => (m.inputs.metadata as { name: string }).name).sort()).toEqual([
      "central",
      "east",
      "stretch",
      "stretch",
      "stretch",
      "west",
    ]);
    for (const monitor of monitors) {
      const { name, labels } = monitor.inputs.metadata as { name: string; labels: Record<string, string> };
      // What the stack's Prometheus (kube-prometheus-stack) selects PodMonitors by.
      expect(labels.release).toBe("kube-prometheus-stack");
      expect(spec(monitor)).toEqual({
        selector: { matchLabels: expect.objectContaining({ "nats-global/cluster": name }) },
        podMetricsEndpoints: [{ port: "prom-metrics" }],
      });
    }
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

describe("the configs the k8s platform renders", () => {
  it("pass nats-server -t, with real operator JWTs and certificates for the names each server advertises", async () => {
    const configs = configsInSecrets(preview.resources);
    expect(configs.size).toBe(12);
    await expectAcceptedByNatsServer(configs, dir, {
      "/etc/nats-config": "etc",
      "/data": "data",
      "/var/run/nats": "run",
    });
  }, 60_000);
});

/**
 * A validator of one Kubernetes kind, from the OpenAPI v3 document of its API group. Strict as the
 * API server's field validation: a field the schema does not know is an error, not ignored.
 */
function validatorFor(ajv: Ajv, document: string, kind: string): ValidateFunction {
  const spec = JSON.parse(fs.readFileSync(path.join(kubernetesSchemaDir(), document), "utf8")) as {
    components: { schemas: Record<string, Record<string, unknown>> };
  };
  const closed = (schema: unknown): unknown => {
    if (Array.isArray(schema)) return schema.map(closed);
    if (schema === null || typeof schema !== "object") return schema;
    const entries = Object.entries(schema as Record<string, unknown>).map(([k, v]) => [k, closed(v)]);
    const result = Object.fromEntries(entries) as Record<string, unknown>;
    if (result.properties !== undefined && result.additionalProperties === undefined) {
      result.additionalProperties = false;
    }
    return result;
  };
  const id = `k8s-${document}`;
  if (ajv.getSchema(id) === undefined) {
    ajv.addSchema({ $id: id, components: closed(spec.components) } as object, id);
  }
  const name = Object.keys(spec.components.schemas).find(
    (n) => n.endsWith(`.${kind}`) && n.startsWith("io.k8s.api."),
  );
  if (name === undefined) throw new Error(`no schema of ${kind} in ${document}`);
  return ajv.compile({ $ref: `${id}#/components/schemas/${name}` });
}

describe("the Kubernetes objects of the k8s platform", () => {
  const kinds: [string, string, string][] = [
    ["kubernetes:apps/v1:StatefulSet", "apis__apps__v1_openapi.json", "StatefulSet"],
    ["kubernetes:core/v1:Service", "api__v1_openapi.json", "Service"],
    ["kubernetes:core/v1:Secret", "api__v1_openapi.json", "Secret"],
    ["kubernetes:core/v1:Namespace", "api__v1_openapi.json", "Namespace"],
    ["kubernetes:core/v1:PersistentVolumeClaim", "api__v1_openapi.json", "PersistentVolumeClaim"],
    ["kubernetes:policy/v1:PodDisruptionBudget", "apis__policy__v1_openapi.json", "PodDisruptionBudget"],
  ];
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

  it.each(kinds)("are valid %s objects of Kubernetes v1.34", (type, document, kind) => {
    const validate = validatorFor(ajv, document, kind);
    const objects = preview.resources.filter((r) => r.type === type);
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      // Secrets' values reach the API server as plain strings.
      const manifest = JSON.parse(JSON.stringify(object.inputs, (_, v) => revealed(v)));
      const valid = validate(manifest);
      expect({ name: object.name, errors: valid ? [] : validate.errors }).toEqual({
        name: object.name,
        errors: [],
      });
    }
  });

  it("are refused when a field is misspelled, so the check above can fail", () => {
    const validate = validatorFor(ajv, "apis__apps__v1_openapi.json", "StatefulSet");
    const [sts] = preview.resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet");
    const manifest = JSON.parse(JSON.stringify(sts.inputs));
    manifest.spec.template.spec.containers[0].readinesProbe =
      manifest.spec.template.spec.containers[0].readinessProbe;
    expect(validate(manifest)).toBe(false);
    manifest.spec.template.spec.containers[0].readinesProbe = undefined;
    manifest.spec.replicas = "one";
    expect(validate(JSON.parse(JSON.stringify(manifest)))).toBe(false);
  });
});
