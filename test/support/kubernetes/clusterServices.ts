/*
 * What a cloud's Kubernetes cluster has besides its control plane, for one region of the platform
 * tests: a node per zone (labelled as EKS labels its nodes, heartbeating through Leases as a kubelet
 * does), a default StorageClass with a provisioner of host-folder volumes in the zone of the node
 * the scheduler chose, a load balancer controller that gives each LoadBalancer Service an address
 * of its own, external-dns, which names that address after the Service's hostname annotation, and
 * the Prometheus Operator's PodMonitor CRD (from its module, as kube-prometheus-stack installs it).
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { eventually } from "../monitor";
import { Hosts } from "../platforms/hosts";
import { Loop } from "../platforms/loop";
import { PROJECT_DIR } from "../tools";
import { KubeApi, KubeObject } from "./api";

/** Where scripts/setup-platforms.sh puts the CRD, from the Prometheus Operator's Go module. */
const PODMONITOR_CRD = path.join(
  PROJECT_DIR,
  ".tools",
  "platforms",
  "crds",
  "monitoring.coreos.com_podmonitors.yaml",
);

const PROVISIONER = "nats-global.test/host-folder";
const STORAGE_CLASS = "standard";
const EXTERNAL_DNS = "external-dns.alpha.kubernetes.io/hostname";
const LEASE_SECONDS = 40;
export const ZONE_LABEL = "topology.kubernetes.io/zone";

export interface ClusterServicesOptions {
  region: string;
  /** The cloud's name for the region (topology.kubernetes.io/region). */
  cloudRegion: string;
  zones: string[];
  api: KubeApi;
  hosts: Hosts;
  /** Where provisioned volumes live. */
  dir: string;
  /** Load balancer address number `i` of this region (from 0). */
  loadBalancerAddress: (i: number) => string;
}

export const nodeName = (region: string, zone: string): string => `${region}-${zone}`;

export class ClusterServices {
  private readonly loop: Loop;
  private readonly leases: Loop;
  private readonly assigned = new Map<string, string>();

  constructor(readonly options: ClusterServicesOptions) {
    this.loop = new Loop(`cluster services of ${options.region}`, 500, () => this.reconcile());
    this.leases = new Loop(`node leases of ${options.region}`, 10_000, () => this.renewLeases());
  }

  get errors(): string[] {
    return [...this.loop.errors, ...this.leases.errors];
  }

  /** Every node of the region, by name. */
  get nodes(): string[] {
    return this.options.zones.map((zone) => nodeName(this.options.region, zone));
  }

  /** Service key (namespace/name) → the address its load balancer was given. */
  get loadBalancers(): ReadonlyMap<string, string> {
    return this.assigned;
  }

  async start(): Promise<void> {
    const { api, zones, region, cloudRegion } = this.options;
    for (const zone of zones) {
      const name = nodeName(region, zone);
      await api.create("/api/v1/nodes", {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name,
          labels: {
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            [ZONE_LABEL]: zone,
            "topology.kubernetes.io/region": cloudRegion,
          },
        },
      });
      const capacity = { cpu: "8", memory: "32Gi", pods: "110", "ephemeral-storage": "100Gi" };
      const now = new Date().toISOString();
      await api.patch(`/api/v1/nodes/${name}/status`, {
        status: {
          capacity,
          allocatable: capacity,
          addresses: [{ type: "Hostname", address: name }],
          conditions: [
            {
              type: "Ready",
              status: "True",
              reason: "KubeletReady",
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
          nodeInfo: { kubeletVersion: "v1.34.4", operatingSystem: "linux", architecture: "amd64" },
        },
      });
    }
    await this.renewLeases();
    await api.create("/apis/storage.k8s.io/v1/storageclasses", {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: {
        name: STORAGE_CLASS,
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      provisioner: PROVISIONER,
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
      // As the clouds' CSI classes (EBS gp3, GCE PD): without it the API server refuses a larger claim.
      allowVolumeExpansion: true,
    });
    await this.installPodMonitorCrd();
    this.loop.start();
    this.leases.start();
  }

  private async installPodMonitorCrd(): Promise<void> {
    const { api } = this.options;
    const crd = yaml.load(fs.readFileSync(PODMONITOR_CRD, "utf8")) as KubeObject;
    await api.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
    await eventually(
      `the PodMonitor CRD established in ${this.options.region}`,
      async () => {
        const found = await api.get(
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
        );
        const established = (found.status?.conditions ?? []).some(
          (c: { type: string; status: string }) => c.type === "Established" && c.status === "True",
        );
        return established ? true : undefined;
      },
      30_000,
    );
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.leases.stop();
  }

  /** The host folder of a volume this provisioner made. */
  volumeDir(pv: KubeObject): string {
    return pv.spec.hostPath.path as string;
  }

  private async renewLeases(): Promise<void> {
    const { api } = this.options;
    const now = new Date().toISOString().replace("Z", "000Z");
    for (const node of this.nodes) {
      const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`;
      const spec = { holderIdentity: node, leaseDurationSeconds: LEASE_SECONDS, renewTime: now };
      if ((await api.find(path)) === undefined) {
        await api.create("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: node },
          spec,
        });
      } else {
        await api.patch(path, { spec });
      }
    }
  }

  private async reconcile(): Promise<void> {
    await this.provisionVolumes();
    await this.reclaimVolumes();
    await this.serveLoadBalancers();
  }

  /** A volume for each claim the scheduler placed, in the zone of the node it chose. */
  private async provisionVolumes(): Promise<void> {
    const { api, dir } = this.options;
    for (const claim of await api.list("/api/v1/persistentvolumeclaims")) {
      const annotations = claim.metadata.annotations ?? {};
      const node = annotations["volume.kubernetes.io/selected-node"];
      if (claim.spec.volumeName || annotations["volume.kubernetes.io/storage-provisioner"] !== PROVISIONER)
        continue;
      if (node === undefined) continue;
      const zone = (await api.get(`/api/v1/nodes/${node}`)).metadata.labels?.[ZONE_LABEL] as string;
      const name = `pvc-${claim.metadata.uid}`;
      const folder = path.join(dir, name);
      fs.mkdirSync(folder, { recursive: true });
      await api.create("/api/v1/persistentvolumes", {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name, annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER } },
        spec: {
          capacity: { storage: claim.spec.resources.requests.storage },
          accessModes: claim.spec.accessModes,
          persistentVolumeReclaimPolicy: "Delete",
          storageClassName: STORAGE_CLASS,
          claimRef: {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            namespace: claim.metadata.namespace,
            name: claim.metadata.name,
            uid: claim.metadata.uid,
          },
          hostPath: { path: folder, type: "Directory" },
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: ZONE_LABEL, operator: "In", values: [zone] }] },
              ],
            },
          },
        },
      });
    }
  }

  /** Deletes the volumes of claims that are gone, with their folders, as reclaimPolicy Delete says. */
  private async reclaimVolumes(): Promise<void> {
    const { api } = this.options;
    for (const pv of await api.list("/api/v1/persistentvolumes")) {
      if (pv.metadata.annotations?.["pv.kubernetes.io/provisioned-by"] !== PROVISIONER) continue;
      if (pv.status?.phase !== "Released" || pv.spec.persistentVolumeReclaimPolicy !== "Delete") continue;
      fs.rmSync(this.volumeDir(pv), { recursive: true, force: true });
      await api.delete(`/api/v1/persistentvolumes/${pv.metadata.name}`);
    }
  }

  /** An address per LoadBalancer Service, kept for its lifetime, and its external-dns name. */
  private async serveLoadBalancers(): Promise<void> {
    const { api, hosts, loadBalancerAddress } = this.options;
    for (const service of await api.list("/api/v1/services")) {
      if (service.spec.type !== "LoadBalancer") continue;
      const key = `${service.metadata.namespace}/${service.metadata.name}`;
      let address = this.assigned.get(key);
      if (address === undefined) {
        address = loadBalancerAddress(this.assigned.size);
        this.assigned.set(key, address);
      }
      const ingress = service.status?.loadBalancer?.ingress ?? [];
      if (ingress.length === 0) {
        await api.patch(
          `/api/v1/namespaces/${service.metadata.namespace}/services/${service.metadata.name}/status`,
          {
            status: { loadBalancer: { ingress: [{ ip: address, ipMode: "VIP" }] } },
          },
        );
      }
      const hostname = service.metadata.annotations?.[EXTERNAL_DNS];
      if (hostname !== undefined) hosts.add(hostname, address);
    }
  }
}
