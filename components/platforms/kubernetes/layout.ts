/*
 * Where a server on Kubernetes is, by name, before anything exists: its pod's DNS name, its
 * Services, its files in the container, and the endpoint model/ renders its config from. Pure.
 */
import { Endpoint, monitorUrl } from "../../model/endpoints";
import { ServerPlan } from "../../model/plan";
import { ServerFiles } from "../../model/serverConfig";
import { PortBases } from "../../model/topology";
import { publicEndpoint, publicHost } from "../publicHosts";
import { K8S_DEFAULTS, KubernetesRegionArgs } from "./args";

export const CONFIG_DIR = "/etc/nats-config";
export const CONFIG_FILE = `${CONFIG_DIR}/nats.conf`;
export const PID_DIR = "/var/run/nats";
export const PID_FILE = `${PID_DIR}/nats.pid`;
export const DATA_DIR = "/data";

/** Each server is a StatefulSet of one, named after it: its pod is `<server>-0`. */
export const podName = (server: string): string => `${server}-0`;
/** The headless Service of a cluster's servers in one Kubernetes cluster: their pods' DNS names. */
export const headlessServiceName = (cluster: string): string => `${cluster}-headless`;
/** Each server's LoadBalancer Service: how other regions reach it. */
export const externalServiceName = (server: string): string => `${server}-external`;

export const namespaceOf = (k8s: KubernetesRegionArgs): string => k8s.namespace ?? K8S_DEFAULTS.namespace;
const clusterDomainOf = (k8s: KubernetesRegionArgs): string =>
  k8s.clusterDomain ?? K8S_DEFAULTS.clusterDomain;
export const portsOf = (k8s: KubernetesRegionArgs): PortBases => ({
  ...K8S_DEFAULTS.ports,
  ...(k8s.ports ?? {}),
});

/** The pod's stable DNS name inside its Kubernetes cluster. */
export function podDns(server: ServerPlan, k8s: KubernetesRegionArgs): string {
  return `${podName(server.name)}.${headlessServiceName(server.cluster)}.${namespaceOf(k8s)}.svc.${clusterDomainOf(k8s)}`;
}

/** The cluster's client Service, for applications inside the same Kubernetes cluster. */
export function clientServiceDns(cluster: string, k8s: KubernetesRegionArgs): string {
  return `${cluster}.${namespaceOf(k8s)}.svc.${clusterDomainOf(k8s)}`;
}

/**
 * Outside its Kubernetes cluster a server is reached through its own load balancer at its external
 * host; inside, a regional cluster's routes use the pods' DNS names.
 */
export function kubernetesEndpoint(server: ServerPlan, k8s: KubernetesRegionArgs): Endpoint {
  return publicEndpoint(server, portsOf(k8s), {
    publicHost: publicHost(k8s.expose.host, server.name),
    inside: podDns(server, k8s),
    names: [clientServiceDns(server.cluster, k8s)],
  });
}

/** A server's monitoring URL at its pod's DNS name: monitoring is not exposed outside its cluster. */
export function podMonitorUrl(server: ServerPlan, k8s: KubernetesRegionArgs, tls: boolean): string {
  return monitorUrl({ ...kubernetesEndpoint(server, k8s), host: podDns(server, k8s) }, tls);
}

/** The names of the PEMs in a server's Secret, and so in its config folder. */
export const TLS_FILES = { ca: "ca.pem", cert: "server.pem", key: "server-key.pem" } as const;

/** The files of a server in its container: config and PEMs from its Secret, the store on its volume. */
export function kubernetesFiles(tls: boolean): ServerFiles {
  return {
    storeDir: `${DATA_DIR}/jetstream`,
    pidFile: PID_FILE,
    ...(tls
      ? {
          tls: {
            caFile: `${CONFIG_DIR}/${TLS_FILES.ca}`,
            certFile: `${CONFIG_DIR}/${TLS_FILES.cert}`,
            keyFile: `${CONFIG_DIR}/${TLS_FILES.key}`,
          },
        }
      : {}),
  };
}
