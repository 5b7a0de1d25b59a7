/*
 * Kubernetes for the platform tests, one cluster per region: the control planes, each region's
 * nodes, storage, load balancers and external-dns, and one kubelet running every region's pods on
 * machines of one network, so that servers of different clusters reach each other as across the
 * internet. A load balancer's address is owned by the machine of the pod its Service selects, as a
 * load balancer forwards to the node that runs the pod (externalTrafficPolicy: Local).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { livePids } from "../../../components/platforms/local/procfs";
import { Hosts } from "../platforms/hosts";
import { killLeftovers } from "../platforms/leftovers";
import { Loop } from "../platforms/loop";
import { MachineNetwork } from "../platforms/machines";
import { KubeApi } from "./api";
import { ClusterServices } from "./clusterServices";
import { ControlPlanes } from "./controlPlane";
import { Kubelet } from "./kubelet";

const WORLD_DIR_PREFIX = "nats-global-k8s-";
const CONTROL_PLANE = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

export interface WorldRegion {
  name: string;
  cloudRegion: string;
  zones: string[];
}

export interface WorldOptions {
  regions: WorldRegion[];
  /** Machines (pods) the kubelet may run at once. */
  machines: number;
  /** Prefix and octet of the machines' network: unique per test file on this machine. */
  networkPrefix: string;
  networkOctet: number;
  /** etcd's client port; see ControlPlanes. */
  basePort: number;
}

export class KubernetesWorld {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), WORLD_DIR_PREFIX));
  readonly hosts = new Hosts();
  readonly controlPlanes: ControlPlanes;
  readonly network: MachineNetwork;
  /** Per region, in the options' order; made once the control planes run. */
  services: ClusterServices[] = [];
  kubelet: Kubelet | undefined;
  private readonly machines: string[];
  private readonly routing: Loop;
  private readonly owned = new Map<string, string>();

  constructor(private readonly options: WorldOptions) {
    this.machines = Array.from({ length: options.machines }, (_, i) => `m${i}`);
    this.network = new MachineNetwork(options.networkPrefix, options.networkOctet, this.machines);
    this.controlPlanes = new ControlPlanes({
      dir: path.join(this.dir, "control-plane"),
      regions: options.regions.map((r) => r.name),
      basePort: options.basePort,
    });
    this.routing = new Loop("load balancer routing", 500, () => this.routeLoadBalancers());
  }

  api(region: string): KubeApi {
    return this.controlPlanes.api(region);
  }

  async start(): Promise<void> {
    const stale = CONTROL_PLANE.flatMap((name) =>
      livePids(name, (arg) => arg.includes(`/${WORLD_DIR_PREFIX}`)),
    );
    await killLeftovers("control planes", stale);
    await this.controlPlanes.start();
    await this.network.create();
    this.services = this.options.regions.map(
      (region, r) =>
        new ClusterServices({
          region: region.name,
          cloudRegion: region.cloudRegion,
          zones: region.zones,
          api: this.api(region.name),
          hosts: this.hosts,
          dir: path.join(this.dir, "volumes", region.name),
          loadBalancerAddress: (i) => `172.${20 + r}.0.${i + 1}`,
        }),
    );
    for (const services of this.services) await services.start();
    this.kubelet = new Kubelet(
      this.options.regions.map((region, r) => ({
        name: region.name,
        api: this.api(region.name),
        nodes: this.services[r].nodes,
      })),
      this.network,
      this.machines,
      this.hosts,
      path.join(this.dir, "pods"),
    );
    this.kubelet.start();
    this.routing.start();
  }

  /** A kubeconfig file with a context `nats-<region>` per region. */
  kubeconfigFile(): string {
    const file = path.join(this.dir, "kubeconfig");
    fs.writeFileSync(file, this.controlPlanes.kubeconfig(), { mode: 0o600 });
    return file;
  }

  /** What went wrong in the emulated cluster, for a failing test to print. */
  diagnostics(): string {
    // What each server warned of last: a failed step names its reason there (a store, a route).
    const servers = [...(this.kubelet?.logsOf("nats") ?? new Map<string, string>())].map(
      ([file, log]) =>
        `--- ${file}\n${log
          .split("\n")
          .filter((line) => /\[(ERR|WRN)\]/.test(line))
          .slice(-8)
          .join("\n")}`,
    );
    return [
      ...(this.kubelet?.errors ?? []),
      ...this.services.flatMap((s) => s.errors),
      ...this.routing.errors,
      ...servers,
      this.controlPlanes.logs(10),
    ].join("\n");
  }

  async stop(): Promise<void> {
    await this.routing.stop();
    await this.kubelet?.stop();
    for (const services of this.services) await services.stop();
    await this.controlPlanes.stop();
    // The kubelet's last containers may still be exiting: the network goes once they are gone.
    for (let i = 0; i < 100; i++) {
      try {
        await this.network.destroy();
        break;
      } catch (e) {
        if (i === 99) throw e;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.hosts.remove();
  }

  private async routeLoadBalancers(): Promise<void> {
    for (const region of this.options.regions) {
      for (const service of await this.api(region.name).list("/api/v1/services")) {
        const address = service.status?.loadBalancer?.ingress?.[0]?.ip as string | undefined;
        if (service.spec.type !== "LoadBalancer" || address === undefined || this.owned.has(address))
          continue;
        const machines = (this.kubelet as Kubelet).machinesOf(
          region.name,
          service.metadata.namespace as string,
          service.spec.selector ?? {},
        );
        if (machines.length !== 1) continue;
        await this.network.own(machines[0], address);
        this.owned.set(address, machines[0]);
      }
    }
  }
}
