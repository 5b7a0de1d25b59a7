/*
 * The Kubernetes objects of NATS servers, as plain manifests: pure, so that tests validate them
 * against Kubernetes' own OpenAPI schemas. What the NATS Helm chart does for one cluster is the
 * baseline (probes, lame duck on stop, config reloader, PDB); each server is a StatefulSet of one,
 * pinned to its planned zone, so that its `az:` tag is where it runs.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { LAME_DUCK } from "../../model/serverConfig";
import { NATS_SERVER_VERSION } from "../natsRelease";
import { ClusterPlan, ServerPlan } from "../../model/plan";
import { PortBases } from "../../model/topology";
import { forServer } from "../publicHosts";
import {
  exportsMetrics,
  K8S_DEFAULTS,
  KubernetesExposure,
  KubernetesRegionArgs,
  quantityBytes,
} from "./args";
import {
  CONFIG_DIR,
  CONFIG_FILE,
  DATA_DIR,
  externalServiceName,
  headlessServiceName,
  namespaceOf,
  PID_DIR,
  PID_FILE,
  podMonitorUrl,
  portsOf,
  TLS_FILES,
} from "./layout";

export type StatefulSetManifest = k8s.types.input.apps.v1.StatefulSet;
export type ServiceManifest = k8s.types.input.core.v1.Service;
export type SecretManifest = k8s.types.input.core.v1.Secret;
export type PodDisruptionBudgetManifest = k8s.types.input.policy.v1.PodDisruptionBudget;
export type NamespaceManifest = k8s.types.input.core.v1.Namespace;
export type PersistentVolumeClaimManifest = k8s.types.input.core.v1.PersistentVolumeClaim;
/** A custom resource of the Prometheus Operator (monitoring.coreos.com/v1), as its CRD describes it. */
export interface PodMonitorManifest {
  apiVersion: "monitoring.coreos.com/v1";
  kind: "PodMonitor";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string }[] };
}

/** The nats-server image of the pinned release. */
export const NATS_IMAGE = `nats:${NATS_SERVER_VERSION}-alpine`;
/** Signals nats-server when its certificates change (the Helm chart's reloader). */
export const RELOADER_IMAGE = "natsio/nats-server-config-reloader:0.23.0";
/**
 * Serves each server's monitoring endpoints as Prometheus metrics (the Helm chart's promExporter).
 * 0.12.0: the one release of github.com/nats-io/prometheus-nats-exporter the Go module proxy serves,
 * so the one the tests can run; the chart's is newer (`metrics.exporter: false` to bring your own).
 */
export const EXPORTER_IMAGE = "natsio/prometheus-nats-exporter:0.12.0";
/** Where the exporter finds the CA alone (not the server's key) to verify the server's monitoring. */
const EXPORTER_CA_DIR = "/etc/nats-ca";
const METRICS_PORT_NAME = "prom-metrics";
/** An unprivileged user: the container runs nothing as root. */
const RUN_AS = 1000;
const ZONE_LABEL = "topology.kubernetes.io/zone";
/** Lame duck, then the server's own shutdown: the chart's rule of grace period + duration + 20 s. */
const TERMINATION_GRACE_S = LAME_DUCK.gracePeriodS + LAME_DUCK.durationS + 20;

const labels = (cluster: string): Record<string, string> => ({
  "app.kubernetes.io/name": "nats",
  "app.kubernetes.io/part-of": "nats-global",
  "nats-global/cluster": cluster,
});
const serverLabels = (server: ServerPlan): Record<string, string> => ({
  ...labels(server.cluster),
  "nats-global/server": server.name,
});

export function namespaceManifest(name: string): NamespaceManifest {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}

const servicePorts = (ports: PortBases, kinds: (keyof PortBases)[], tls: boolean) =>
  kinds.map((kind) => ({
    name: kind,
    port: ports[kind],
    targetPort: kind,
    appProtocol: kind === "monitor" ? (tls ? "https" : "http") : tls ? "tls" : "tcp",
  }));

/**
 * The pods' DNS names (`<pod>.<cluster>-headless`), published before they are ready: routes form,
 * and JetStream elects its leaders, before any server can call itself healthy.
 */
export function headlessServiceManifest(
  cluster: string,
  k8s: KubernetesRegionArgs,
  tls: boolean,
): ServiceManifest {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: headlessServiceName(cluster), namespace: namespaceOf(k8s), labels: labels(cluster) },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: labels(cluster),
      ports: servicePorts(portsOf(k8s), ["client", "cluster", "gateway", "monitor"], tls),
    },
  };
}

/** The cluster's client port inside its Kubernetes cluster, for applications running there. */
export function clientServiceManifest(
  cluster: string,
  k8s: KubernetesRegionArgs,
  tls: boolean,
): ServiceManifest {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: cluster, namespace: namespaceOf(k8s), labels: labels(cluster) },
    spec: {
      type: "ClusterIP",
      selector: labels(cluster),
      ports: servicePorts(portsOf(k8s), ["client"], tls),
    },
  };
}

/**
 * One load balancer per server: clients, the other clusters' gateways and (for a stretch server)
 * its routes reach exactly that server, as its config advertises. Not-ready pods are published
 * too, since a first start is healthy only once the gateways behind these have formed.
 */
export function externalServiceManifest(
  server: ServerPlan,
  k8s: KubernetesRegionArgs,
  tls: boolean,
): ServiceManifest {
  const expose: KubernetesExposure = k8s.expose;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: externalServiceName(server.name),
      namespace: namespaceOf(k8s),
      labels: serverLabels(server),
      ...(expose.annotations !== undefined
        ? {
            annotations: Object.fromEntries(
              Object.entries(expose.annotations).map(([k, v]) => [k, forServer(v, server.name)]),
            ),
          }
        : {}),
    },
    spec: {
      type: "LoadBalancer",
      // Straight to the node that runs the pod, keeping the peer's address in the server's logs.
      externalTrafficPolicy: "Local",
      publishNotReadyAddresses: true,
      selector: serverLabels(server),
      ports: servicePorts(
        portsOf(k8s),
        server.stretch ? ["client", "cluster", "gateway"] : ["client", "gateway"],
        tls,
      ),
      ...(expose.sourceRanges !== undefined ? { loadBalancerSourceRanges: expose.sourceRanges } : {}),
    },
  };
}

/** The server's config and PEMs: a Secret, since they hold its private key. */
export function configSecretManifest(
  server: ServerPlan,
  k8s: KubernetesRegionArgs,
  files: {
    config: pulumi.Input<string>;
    ca?: pulumi.Input<string>;
    cert?: pulumi.Input<string>;
    key?: pulumi.Input<string>;
  },
): SecretManifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `${server.name}-config`, namespace: namespaceOf(k8s), labels: serverLabels(server) },
    type: "Opaque",
    stringData: {
      "nats.conf": files.config,
      ...(files.ca !== undefined ? { [TLS_FILES.ca]: files.ca } : {}),
      ...(files.cert !== undefined ? { [TLS_FILES.cert]: files.cert } : {}),
      ...(files.key !== undefined ? { [TLS_FILES.key]: files.key } : {}),
    },
  };
}

/**
 * How many of a cluster's servers in one region's Kubernetes cluster may be evicted at a time (node
 * drains): one, so that every RAFT group of the cluster keeps its majority. A stretch cluster spans
 * several Kubernetes clusters, whose budgets know nothing of each other: only its drain region may
 * evict its server; elsewhere a drain waits until you move `stretch.drainRegion` there.
 */
export function maxUnavailable(cluster: ClusterPlan, region: string): number {
  return cluster.stretch && cluster.drainRegion !== region ? 0 : 1;
}

export function disruptionBudgetManifest(
  cluster: ClusterPlan,
  region: string,
  k8s: KubernetesRegionArgs,
): PodDisruptionBudgetManifest {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: cluster.name, namespace: namespaceOf(k8s), labels: labels(cluster.name) },
    spec: {
      maxUnavailable: maxUnavailable(cluster, region),
      selector: { matchLabels: labels(cluster.name) },
    },
  };
}

/** What the Prometheus Operator scrapes of a cluster's servers in one region: their exporters. */
export function podMonitorManifest(cluster: string, k8s: KubernetesRegionArgs): PodMonitorManifest {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: {
      name: cluster,
      namespace: namespaceOf(k8s),
      labels: { ...k8s.metrics?.podMonitorLabels, ...labels(cluster) },
    },
    spec: { selector: { matchLabels: labels(cluster) }, podMetricsEndpoints: [{ port: METRICS_PORT_NAME }] },
  };
}

const restricted = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/** The pod template's annotation that names the digest of the server's config and of the template. */
export const POD_DIGEST_ANNOTATION = "nats-global/digest";

/**
 * One server: a StatefulSet of one pod in the server's zone, with its volume. `digest` (of the
 * server's config and of this manifest without it) is in the pod template, so that a config change
 * restarts the server; new certificates do not (the reloader makes it reload them).
 */
export function statefulSetManifest(
  server: ServerPlan,
  k8s: KubernetesRegionArgs,
  options: { tls: boolean; digest?: pulumi.Input<string> },
): StatefulSetManifest {
  const ports = portsOf(k8s);
  const scheme = options.tls ? "HTTPS" : "HTTP";
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: "monitor", scheme },
    initialDelaySeconds: 10,
    timeoutSeconds: 5,
    periodSeconds,
    failureThreshold,
  });
  const cpu = k8s.resources?.cpu ?? K8S_DEFAULTS.cpu;
  const memory = k8s.resources?.memory ?? K8S_DEFAULTS.memory;
  // One path per change: new certificates by reload, a new config by a rolling restart (its digest).
  // Most config changes are ones nats-server refuses to reload (gateways, JetStream limits, ports).
  const reloader = {
    name: "reloader",
    image: RELOADER_IMAGE,
    args: [
      "-pid",
      PID_FILE,
      ...Object.values(TLS_FILES).flatMap((file) => ["-config", `${CONFIG_DIR}/${file}`]),
    ],
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
    securityContext: restricted,
    volumeMounts: [
      { name: "config", mountPath: CONFIG_DIR, readOnly: true },
      { name: "pid", mountPath: PID_DIR },
    ],
  };
  // As the chart's, with gateways and JetStream; over HTTPS it trusts the stack's CA (Go reads
  // SSL_CERT_FILE for its roots) and reaches the server at a name its certificate holds.
  const exporter = {
    name: "prom-exporter",
    image: EXPORTER_IMAGE,
    args: [
      `-port=${K8S_DEFAULTS.metricsPort}`,
      "-connz",
      "-routez",
      "-subz",
      "-varz",
      "-gatewayz",
      "-jsz=all",
      "-prefix=nats",
      "-use_internal_server_id",
      `${podMonitorUrl(server, k8s, options.tls)}/`,
    ],
    ports: [{ name: METRICS_PORT_NAME, containerPort: K8S_DEFAULTS.metricsPort }],
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
    securityContext: restricted,
    ...(options.tls
      ? {
          env: [{ name: "SSL_CERT_FILE", value: `${EXPORTER_CA_DIR}/${TLS_FILES.ca}` }],
          volumeMounts: [{ name: "ca", mountPath: EXPORTER_CA_DIR, readOnly: true }],
        }
      : {}),
  };
  const withExporter = exportsMetrics(k8s);
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: {
      name: server.name,
      namespace: namespaceOf(k8s),
      labels: serverLabels(server),
      // A first server is ready only once most of the super-cluster runs (its startup probe), so
      // `up` cannot wait for readiness in order: it waits for the controller to have seen the
      // change (the provider's custom await checks observedGeneration), and the rolling gate waits
      // for the server. Deletes are still awaited, so a replaced StatefulSet is gone before its
      // successor is made, and a removed server's Services outlive its lame duck.
      annotations: { "pulumi.com/waitFor": "jsonpath={.status.observedGeneration}" },
    },
    spec: {
      serviceName: headlessServiceName(server.cluster),
      replicas: 1,
      // As the Helm chart's: under OrderedReady the controller never replaces a pod that is not
      // ready, so a config that would fix a stuck server would never reach it.
      podManagementPolicy: "Parallel",
      selector: { matchLabels: serverLabels(server) },
      template: {
        metadata: {
          labels: serverLabels(server),
          ...(options.digest !== undefined
            ? { annotations: { [POD_DIGEST_ANNOTATION]: options.digest } }
            : {}),
        },
        spec: {
          enableServiceLinks: false,
          // nats-server and its reloader never call the Kubernetes API: no token for them to leak.
          automountServiceAccountToken: false,
          // The reloader signals nats-server by the pid in the shared pid file.
          shareProcessNamespace: options.tls,
          terminationGracePeriodSeconds: TERMINATION_GRACE_S,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS,
            runAsGroup: RUN_AS,
            fsGroup: RUN_AS,
            seccompProfile: { type: "RuntimeDefault" },
          },
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: ZONE_LABEL, operator: "In", values: [server.zone] }] },
                ],
              },
            },
            // Servers of one cluster that share a zone still go to different nodes where there are some.
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: { matchLabels: labels(server.cluster) },
                    topologyKey: "kubernetes.io/hostname",
                  },
                },
              ],
            },
          },
          containers: [
            {
              name: "nats",
              image: NATS_IMAGE,
              args: ["--config", CONFIG_FILE],
              ports: (["client", "cluster", "gateway", "monitor"] as const).map((kind) => ({
                name: kind,
                containerPort: ports[kind],
              })),
              resources: { requests: { cpu, memory }, limits: { cpu, memory } },
              // The Go runtime collects harder as it nears this, instead of meeting the OOM killer.
              env: [{ name: "GOMEMLIMIT", value: goMemoryLimit(memory) }],
              // As the Helm chart's: a restarted server is started (then ready, counted healthy by
              // its disruption budget) only once it is current with its meta leader and every stream
              // and consumer it hosts, so that a drain waits for it before taking the next.
              startupProbe: probe("/healthz", 10, 90),
              readinessProbe: probe("/healthz?js-server-only=true", 10, 3),
              livenessProbe: probe("/healthz?js-enabled-only=true", 30, 3),
              lifecycle: { preStop: { exec: { command: ["nats-server", `-sl=ldm=${PID_FILE}`] } } },
              securityContext: restricted,
              volumeMounts: [
                { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                { name: "pid", mountPath: PID_DIR },
                { name: "data", mountPath: DATA_DIR },
              ],
            },
            ...(options.tls ? [reloader] : []),
            ...(withExporter ? [exporter] : []),
          ],
          volumes: [
            { name: "config", secret: { secretName: `${server.name}-config`, defaultMode: 0o440 } },
            { name: "pid", emptyDir: {} },
            { name: "data", persistentVolumeClaim: { claimName: dataClaimName(server) } },
            ...(withExporter && options.tls
              ? [
                  {
                    name: "ca",
                    secret: {
                      secretName: `${server.name}-config`,
                      items: [{ key: TLS_FILES.ca, path: TLS_FILES.ca }],
                      defaultMode: 0o444,
                    },
                  },
                ]
              : []),
          ],
        },
      },
    },
  };
}

/** The claim of a server's store volume: as a claim template `data` would name it for the pod. */
export const dataClaimName = (server: ServerPlan): string => `data-${server.name}-0`;

/**
 * A server's store volume, claimed apart from its StatefulSet, whose claim templates Kubernetes
 * never changes: so that a larger `storage.size` grows the claim in place (where the storage class
 * allows expansion; the API server refuses a smaller one), and the StatefulSet is not replaced.
 */
export function dataClaimManifest(
  server: ServerPlan,
  k8s: KubernetesRegionArgs,
): PersistentVolumeClaimManifest {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: dataClaimName(server),
      namespace: namespaceOf(k8s),
      labels: serverLabels(server),
      annotations: {
        // Nothing waits on a claim but its pod, which the scheduler binds only once the claim is.
        // Awaiting it would time out on a claim a stack made before already holds bound, where
        // the class binds on first consumer: the provider awaits Pending on create.
        "pulumi.com/skipAwait": "true",
        // Such a claim's size belongs to the controller that made it: take it over.
        "pulumi.com/patchForce": "true",
      },
    },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: k8s.storage?.size ?? K8S_DEFAULTS.storageSize } },
      ...(k8s.storage?.storageClass !== undefined ? { storageClassName: k8s.storage.storageClass } : {}),
    },
  };
}

/** GOMEMLIMIT for a container of `memory`: 90% of it, the rest for what the Go heap does not count. */
export function goMemoryLimit(memory: string): string {
  return `${Math.floor(((quantityBytes(memory) as number) * 0.9) / 2 ** 20)}MiB`;
}
