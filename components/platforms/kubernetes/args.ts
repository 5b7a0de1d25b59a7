/*
 * What a region on Kubernetes needs, and its checks. Pure: loaded without @pulumi/kubernetes, so
 * that bad input is named at preview whether or not the package is installed.
 */
import type * as pulumi from "@pulumi/pulumi";
import { PortBases } from "../../model/topology";
import { ProblemList } from "../../model/validation";
import { checkPublicHosts, PublicHosts } from "../publicHosts";

/** How the servers of other regions and clouds reach this region's servers. */
export interface KubernetesExposure {
  /**
   * The DNS name or IP each server is reached at from outside its Kubernetes cluster: a template
   * with `{server}` (e.g. "{server}.nats.example.com", with a DNS record per load balancer, for
   * instance by external-dns from `annotations`), or one address per server name. Clients verify
   * the servers' certificates against these names: prefer DNS names to IPs.
   */
  host: PublicHosts;
  /**
   * Annotations of each server's LoadBalancer Service (the cloud's load balancer type, external-dns);
   * `{server}` in a value becomes the server's name.
   */
  annotations?: Record<string, string>;
  /** Source CIDRs the load balancers admit (default: everyone; TLS and credentials still apply). */
  sourceRanges?: string[];
}

export interface KubernetesRegionArgs {
  /**
   * The Kubernetes cluster of the region: a `@pulumi/kubernetes` Provider (give it
   * `enableSecretMutable: true`, as the one made from a kubeconfig has, or each renewal replaces
   * every server's Secret); or a kubeconfig (a secret), a context of it, or both (a context alone: of
   * the kubeconfig in KUBECONFIG or ~/.kube).
   */
  provider?: pulumi.ProviderResource;
  kubeconfig?: pulumi.Input<string>;
  context?: string;
  /** Namespace of the NATS objects (default "nats"), created unless `createNamespace` is false. */
  namespace?: string;
  createNamespace?: boolean;
  /** Each server gets a LoadBalancer Service for its client and gateway ports (and routes, if stretch). */
  expose: KubernetesExposure;
  /** The JetStream volume of each server (default 10Gi of the cluster's default storage class). */
  storage?: { size?: string; storageClass?: string };
  /** Requests and limits of each server's nats container (default 2 CPU and 4Gi). */
  resources?: { cpu?: string; memory?: string };
  /** Container ports (default 4222, 6222, 7222, 8222); 1024 or above, since servers run as non-root. */
  ports?: Partial<PortBases>;
  /** The Kubernetes cluster's DNS domain, as its kubelets' `clusterDomain` (default "cluster.local"). */
  clusterDomain?: string;
  /** Prometheus metrics of each server, as the Helm chart's `promExporter`. */
  metrics?: KubernetesMetrics;
}

export interface KubernetesMetrics {
  /** A prometheus-nats-exporter beside each server, on port `prom-metrics` (default true). */
  exporter?: boolean;
  /** A PodMonitor per cluster for the Prometheus Operator, whose CRDs it needs (default false). */
  podMonitor?: boolean;
  /**
   * Labels of each PodMonitor besides the package's: those your Prometheus selects PodMonitors by
   * (kube-prometheus-stack's, by default, `release: <its release name>`).
   */
  podMonitorLabels?: Record<string, string>;
}

export const K8S_DEFAULTS = {
  namespace: "nats",
  storageSize: "10Gi",
  cpu: "2",
  memory: "4Gi",
  clusterDomain: "cluster.local",
  ports: { client: 4222, cluster: 6222, gateway: 7222, monitor: 8222 } as PortBases,
  /** The exporter's port, as the chart's. */
  metricsPort: 7777,
};

/** Whether each server of the region has an exporter beside it. */
export const exportsMetrics = (k8s: KubernetesRegionArgs): boolean => k8s.metrics?.exporter !== false;

/** Where a region's Kubernetes args are read from. */
export interface KubernetesRegion {
  name: string;
  platform?: string;
  zones?: string[];
  k8s?: KubernetesRegionArgs;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A Kubernetes quantity such as 10Gi, 500m, 2. */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|Pi|M|G|T|P)?$/;
const QUANTITY_SUFFIXES: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

/** The bytes a Kubernetes quantity such as "10Gi" stands for; undefined when it is not one. */
export function quantityBytes(quantity: string): number | undefined {
  const match = QUANTITY.exec(quantity);
  return match === null
    ? undefined
    : Number(quantity.slice(0, quantity.length - (match[2] ?? "").length)) *
        QUANTITY_SUFFIXES[match[2] ?? ""];
}

/**
 * Adds a problem for each bad field of a Kubernetes region, `at` its path (`regions[i]`).
 * `serverNames` are the servers the region hosts, its stretch server included.
 */
export function checkKubernetesRegion(
  region: KubernetesRegion,
  at: string,
  serverNames: string[],
  problems: ProblemList,
): void {
  const k8s = region.k8s;
  if (k8s === undefined) {
    problems.add(
      `${at}.k8s`,
      "a region on k8s needs its cluster (k8s.provider, k8s.kubeconfig or k8s.context) and k8s.expose",
    );
    return;
  }
  const kubeconfigGiven = k8s.kubeconfig !== undefined || k8s.context !== undefined;
  if ((k8s.provider === undefined) === !kubeconfigGiven) {
    problems.add(
      `${at}.k8s.provider`,
      "give either k8s.provider (a kubernetes.Provider) or k8s.kubeconfig and/or k8s.context, not both or neither",
    );
  }
  for (const name of serverNames) {
    if (!DNS_LABEL.test(name)) {
      problems.add(
        `${at}.name`,
        `server "${name}" is not a Kubernetes name: on k8s, region and stretch names use lowercase letters, digits and '-'`,
      );
    }
  }
  if (k8s.namespace !== undefined && !DNS_LABEL.test(k8s.namespace)) {
    problems.add(
      `${at}.k8s.namespace`,
      `"${k8s.namespace}" is not a namespace name: lowercase letters, digits and '-'`,
    );
  }
  if (
    k8s.clusterDomain !== undefined &&
    !k8s.clusterDomain.split(".").every((label) => DNS_LABEL.test(label))
  ) {
    problems.add(
      `${at}.k8s.clusterDomain`,
      `"${k8s.clusterDomain}" is not a DNS domain such as cluster.local: the kubelets' clusterDomain`,
    );
  }
  if (region.zones === undefined) {
    problems.add(
      `${at}.zones`,
      "name the cluster's zones (its nodes' topology.kubernetes.io/zone, e.g. us-east-1a): each server is pinned to one",
    );
  }
  checkPublicHosts(k8s.expose?.host, `${at}.k8s.expose.host`, serverNames, problems);
  for (const [field, value] of [
    ["storage.size", k8s.storage?.size],
    ["resources.cpu", k8s.resources?.cpu],
    ["resources.memory", k8s.resources?.memory],
  ] as const) {
    if (value !== undefined && !QUANTITY.test(value)) {
      problems.add(`${at}.k8s.${field}`, `"${value}" is not a Kubernetes quantity (e.g. 10Gi, 500m, 2)`);
    }
  }
  const ports = { ...K8S_DEFAULTS.ports, ...(k8s.ports ?? {}) };
  for (const [kind, port] of Object.entries(ports)) {
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1024 || port > 65535) {
      problems.add(
        `${at}.k8s.ports.${kind}`,
        `must be an integer from 1024 to 65535 (got ${JSON.stringify(port)}): servers run as non-root`,
      );
    }
  }
  if (new Set(Object.values(ports)).size !== Object.keys(ports).length) {
    problems.add(`${at}.k8s.ports`, "client, cluster, gateway and monitor ports must differ");
  }
  if (exportsMetrics(k8s) && Object.values(ports).includes(K8S_DEFAULTS.metricsPort)) {
    problems.add(
      `${at}.k8s.ports`,
      `${K8S_DEFAULTS.metricsPort} is the metrics exporter's port in the pod: choose another, or set metrics.exporter to false`,
    );
  }
  if (k8s.metrics?.podMonitor === true && !exportsMetrics(k8s)) {
    problems.add(
      `${at}.k8s.metrics.podMonitor`,
      "scrapes the exporter beside each server: drop metrics.exporter: false, or the PodMonitor",
    );
  }
}

/**
 * Regions that share a Kubernetes cluster (one provider, or one context of the ambient kubeconfig)
 * need namespaces of their own: the stretch cluster's objects of each are named alike.
 */
export function checkSharedClusters(regions: KubernetesRegion[], problems: ProblemList): void {
  const placed: { cluster: unknown; namespace: string; region: string }[] = [];
  regions.forEach((region, i) => {
    const k8s = region.k8s;
    if (region.platform !== "k8s" || k8s === undefined) return;
    // A kubeconfig's content may be an Output: regions with their own kubeconfig are not compared.
    const cluster = k8s.provider ?? (k8s.kubeconfig === undefined ? `context ${k8s.context}` : undefined);
    if (cluster === undefined) return;
    const namespace = k8s.namespace ?? K8S_DEFAULTS.namespace;
    const other = placed.find((p) => p.cluster === cluster && p.namespace === namespace);
    if (other !== undefined) {
      problems.add(
        `regions[${i}].k8s.namespace`,
        `regions ${other.region} and ${region.name} share a Kubernetes cluster and the namespace "${namespace}": give each region its own namespace`,
      );
    }
    placed.push({ cluster, namespace, region: region.name });
  });
}
