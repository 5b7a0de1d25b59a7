/*
 * The VM platforms' driver, one for every cloud that runs each server on a machine of its own: a
 * private network planned per region, a static public address per server, a secret with its files,
 * a boot script that fetches them, and servers changed one at a time. What differs between clouds
 * is behind VmCloud (cloud.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { Endpoint } from "../../model/endpoints";
import { ServerPlan, SuperClusterPlan } from "../../model/plan";
import { NatsServerConfig, ServerFiles } from "../../model/serverConfig";
import { GroupInputs, PlatformDriver, ServerGroup } from "../driver";
import { ProvisionedServers } from "../provisioned";
import { publicHost } from "../publicHosts";
import { VmRegionArgs } from "./args";
import { ReservedAddress, VmCloud, VmRegionPlan } from "./cloud";
import { vmEndpoint, vmFiles, vmLayout } from "./layout";
import { regionVmNetwork, VmNetworkPlan } from "./network";
import { serverBootScript, vmClusterOutputs, vmServerFiles } from "./serverScript";

export class VmPlatform<A extends VmRegionArgs, Infra, Address extends ReservedAddress>
  implements PlatformDriver
{
  readonly platform: "aws" | "gcp";
  /** Server name → its static public IP, reserved before any server so that firewalls name it. */
  readonly publicIps = new Map<string, pulumi.Output<string>>();
  private readonly addresses = new Map<string, Address>();
  private readonly networks = new Map<string, VmNetworkPlan>();
  private readonly infra = new Map<string, Infra>();

  constructor(
    private readonly cloud: VmCloud<A, Infra, Address>,
    /** Region name → where it is and with what args. */
    private readonly regions: Map<string, VmRegionPlan<A>>,
    plan: SuperClusterPlan,
    private readonly parent: pulumi.ComponentResource,
  ) {
    this.platform = cloud.platform;
    const servers = plan.clusters.flatMap((c) => c.servers).filter((s) => s.platform === cloud.platform);
    for (const region of regions.values()) {
      const hosted = servers.filter((s) => s.region === region.name);
      this.networks.set(
        region.name,
        regionVmNetwork(region.octet, region.zones, hosted, cloud.givenNetwork(region.args)),
      );
      for (const server of hosted) {
        const address = cloud.reserveAddress(server, region);
        this.addresses.set(server.name, address);
        this.publicIps.set(server.name, address.ip);
      }
    }
  }

  endpoint(server: ServerPlan): Endpoint {
    return vmEndpoint(server, {
      publicHost: publicHost(this.placed(server.region).args.host, server.name),
      privateIp: this.networkOf(server.region).privateIps.get(server.name) as string,
    });
  }

  files(_server: ServerPlan, tls: boolean): ServerFiles {
    return vmFiles(vmLayout(), tls);
  }

  provision(group: ServerGroup, inputs: GroupInputs): VmServers {
    const cluster = this.cloud.clusterName(group.cluster.name);
    return new VmServers(
      `nats-global:${this.platform}:Cluster`,
      cluster,
      (servers) => this.runServers(group, inputs, cluster, servers),
      { parent: this.parent },
    );
  }

  /** Each server of the group on its machine, one after another through the cluster's order. */
  private runServers(
    group: ServerGroup,
    inputs: GroupInputs,
    cluster: string,
    parent: pulumi.ComponentResource,
  ): ProvisionedServers {
    const tls = inputs.tls !== undefined;
    const machines = group.servers.map((server) => {
      const region = this.placed(server.region);
      const vm = {
        server,
        name: `${cluster}-${server.name}`,
        region,
        infra: this.regionInfra(region, inputs.peers),
        network: this.networkOf(region.name),
        address: this.addresses.get(server.name) as Address,
        options: this.cloud.options(region, parent),
        after: inputs.rolling.after(),
      };
      const disk = this.cloud.disk(vm);
      const files = vmServerFiles(
        server.name,
        inputs.configs.get(server.name) as pulumi.Output<NatsServerConfig>,
        inputs.tls?.get(server.name),
      );
      const identity = this.cloud.identity(vm, files);
      const script = serverBootScript({
        endpoint: this.endpoint(server),
        tls,
        source: identity.source,
        dataDevice: disk.device,
        pollSeconds: region.args.filesPollSeconds,
      });
      const machine = this.cloud.instance(vm, { script, disk, identity });
      const record = this.cloud.dnsRecord(vm);
      inputs.rolling.done(server.name, {
        incarnation: machine.incarnation,
        ready: [...machine.ready, identity.version, ...(record !== undefined ? [record] : [])],
        files: files.apply((bundle) => bundle.digest),
      });
      return machine;
    });
    return vmClusterOutputs(
      cluster,
      group.servers.map((server) => this.endpoint(server)),
      tls,
      machines.map((machine, k) => ({ server: group.servers[k].name, id: machine.id })),
      parent,
    );
  }

  private placed(region: string): VmRegionPlan<A> {
    const placed = this.regions.get(region);
    if (placed === undefined) throw new Error(`region ${region} has no ${this.platform} args`);
    return placed;
  }

  private networkOf(region: string): VmNetworkPlan {
    return this.networks.get(region) as VmNetworkPlan;
  }

  private regionInfra(region: VmRegionPlan<A>, peers: pulumi.Output<string[]> | undefined): Infra {
    if (!this.infra.has(region.name)) {
      this.infra.set(region.name, this.cloud.regionInfra(region, this.networkOf(region.name), peers));
    }
    return this.infra.get(region.name) as Infra;
  }
}

/**
 * `nats-global:aws:Cluster`, `nats-global:gcp:Cluster`: a cluster's servers on a VM cloud. A new
 * config or certificate goes to the server's secret, which its machine applies by reload (or
 * restart); a new image or release replaces the instance. Either way servers change one at a
 * time, each once the server before it runs its new files, healthy and caught up; a new instance
 * comes back with its addresses and volume.
 */
export class VmServers extends pulumi.ComponentResource implements ProvisionedServers {
  readonly clientUrls: pulumi.Output<string[]>;
  readonly monitorUrls: pulumi.Output<string[]>;
  readonly incarnations: pulumi.Output<string[]>;

  constructor(
    type: string,
    name: string,
    run: (parent: VmServers) => ProvisionedServers,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super(type, name, {}, opts);
    const outputs = run(this);
    this.clientUrls = outputs.clientUrls;
    this.monitorUrls = outputs.monitorUrls;
    this.incarnations = outputs.incarnations;
    this.registerOutputs({ clientUrls: this.clientUrls, monitorUrls: this.monitorUrls });
  }
}
