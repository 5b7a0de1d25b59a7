import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { Endpoint } from "../../model/endpoints";
import { ServerPlan, SuperClusterPlan } from "../../model/plan";
import { NatsServerConfig, ServerFiles } from "../../model/serverConfig";
import { GroupInputs, PlatformDriver, ServerGroup } from "../driver";
import { ProvisionedServers } from "../provisioned";
import { publicHost } from "../publicHosts";
import { snapshotSchedule, VM_DEFAULTS } from "../vm/args";
import { ruleSources, vmFirewallRules } from "../vm/firewall";
import { serverBootScript, vmClusterOutputs, vmServerFiles } from "../vm/serverScript";
import { vmEndpoint, vmFiles, vmLayout } from "../vm/layout";
import { planInternalRanges, regionVmNetwork, VmNetworkPlan } from "../vm/network";
import { GcpRegionArgs } from "./args";
import { DATA_DISK, gcpNames, SERVER_LABEL } from "./naming";
import { gcpServerIdentity } from "./serverIdentity";
import { attachSnapshots, snapshotSchedulePolicy } from "./snapshots";

const DEFAULT_MACHINE_TYPE = "e2-standard-2";

export interface GcpRegionPlan {
  args: GcpRegionArgs;
  zones: string[];
  /** Second octet of the region's 10.x.0.0/16. */
  octet: number;
}

/**
 * The `gcp` platform: one VPC network for all GCP regions, per region a subnetwork and firewall
 * rules for its servers' network tag; per server a Compute Engine instance at a planned private
 * address with a static external address and a persistent disk that outlives it (and by default the
 * stack), snapshotted on a schedule.
 */
export class GcpPlatform implements PlatformDriver {
  readonly platform = "gcp" as const;
  readonly publicIps = new Map<string, pulumi.Output<string>>();
  private readonly addresses = new Map<string, gcp.compute.Address>();
  private readonly networks = new Map<string, VmNetworkPlan>();
  private readonly subnetworks = new Map<string, pulumi.Input<string>>();
  private network: gcp.compute.Network | undefined;
  private readonly names: ReturnType<typeof gcpNames>;

  constructor(
    private readonly superCluster: string,
    private readonly regions: Map<string, GcpRegionPlan>,
    plan: SuperClusterPlan,
    private readonly parent: pulumi.ComponentResource,
  ) {
    this.names = gcpNames(superCluster, pulumi.getStack());
    const servers = plan.clusters.flatMap((c) => c.servers).filter((s) => s.platform === "gcp");
    for (const [region, placed] of regions) {
      const hosted = servers.filter((s) => s.region === region);
      const given = placed.args.network;
      this.networks.set(
        region,
        regionVmNetwork(
          placed.octet,
          placed.zones,
          hosted,
          given && { cidr: given.cidr, subnetOf: () => given.cidr },
        ),
      );
      for (const server of hosted) {
        const address = new gcp.compute.Address(
          this.names.address(server.name),
          { region: placed.args.region, addressType: "EXTERNAL", ...projectOf(placed.args) },
          this.options(region),
        );
        this.addresses.set(server.name, address);
        this.publicIps.set(server.name, address.address);
      }
    }
  }

  endpoint(server: ServerPlan): Endpoint {
    return vmEndpoint(server, {
      publicHost: publicHost(this.placed(server.region).args.host, server.name),
      privateIp: this.networks.get(server.region)?.privateIps.get(server.name) as string,
    });
  }

  files(_server: ServerPlan, tls: boolean): ServerFiles {
    return vmFiles(vmLayout(), tls);
  }

  provision(group: ServerGroup, inputs: GroupInputs): GcpServers {
    return new GcpServers(
      this.names.cluster(group.cluster.name),
      {
        group,
        inputs,
        placed: (region) => this.placed(region),
        subnetwork: (region) => this.subnetwork(region, inputs.peers),
        address: (server) => this.addresses.get(server) as gcp.compute.Address,
        networkPlan: (region) => this.networks.get(region) as VmNetworkPlan,
        snapshots: (region) => this.snapshots(region),
        endpoint: (server) => this.endpoint(server),
        options: (region) => this.options(region),
        names: this.names,
      },
      { parent: this.parent },
    );
  }

  private placed(region: string): GcpRegionPlan {
    const placed = this.regions.get(region);
    if (placed === undefined) throw new Error(`region ${region} has no gcp args`);
    return placed;
  }

  private readonly policies = new Map<string, gcp.compute.ResourcePolicy | undefined>();
  /** The region's snapshot schedule, made once for all its clusters; undefined without snapshots. */
  private snapshots(region: string): gcp.compute.ResourcePolicy | undefined {
    if (!this.policies.has(region)) {
      const { args } = this.placed(region);
      const schedule = snapshotSchedule(args);
      this.policies.set(
        region,
        schedule &&
          snapshotSchedulePolicy(
            this.names.snapshots(region),
            args.region,
            this.superCluster,
            schedule,
            projectOf(args),
            this.options(region),
          ),
      );
    }
    return this.policies.get(region);
  }

  private options(region: string): pulumi.CustomResourceOptions {
    const provider = this.placed(region).args.provider;
    return { parent: this.parent, ...(provider !== undefined ? { provider } : {}) };
  }

  /**
   * The region's subnetwork (made in the one network, or yours) and its firewall rules, made once
   * for all its clusters; the subnetwork's id.
   */
  private subnetwork(region: string, peers: pulumi.Output<string[]> | undefined): pulumi.Input<string> {
    const known = this.subnetworks.get(region);
    if (known !== undefined) return known;
    const { args } = this.placed(region);
    const plan = this.networks.get(region) as VmNetworkPlan;
    const options = this.options(region);
    const project = projectOf(args);
    const given = args.network;
    if (given === undefined) {
      this.network ??= new gcp.compute.Network(
        this.names.network,
        { autoCreateSubnetworks: false, description: "nats-global", ...project },
        options,
      );
    }
    const network: pulumi.Input<string> = given?.network ?? (this.network as gcp.compute.Network).id;
    const subnetwork: pulumi.Input<string> =
      given?.subnetwork ??
      new gcp.compute.Subnetwork(
        this.names.subnetwork(region),
        { region: args.region, network, ipCidrRange: plan.cidr, ...project },
        options,
      ).id;
    const tag = this.names.tag(region);
    for (const rule of vmFirewallRules(planInternalRanges(plan), args)) {
      new gcp.compute.Firewall(
        this.names.firewall(region, rule.name),
        {
          network,
          direction: "INGRESS",
          allows: [{ protocol: "tcp", ports: [String(rule.port)] }],
          sourceRanges: ruleSources(rule, peers),
          targetTags: [tag],
          description: rule.description,
          ...project,
        },
        options,
      );
    }
    this.subnetworks.set(region, subnetwork);
    return subnetwork;
  }
}

const projectOf = (args: GcpRegionArgs) => (args.project !== undefined ? { project: args.project } : {});

interface GcpServersArgs {
  group: ServerGroup;
  inputs: GroupInputs;
  placed: (region: string) => GcpRegionPlan;
  /** The region's subnetwork id. */
  subnetwork: (region: string) => pulumi.Input<string>;
  address: (server: string) => gcp.compute.Address;
  networkPlan: (region: string) => VmNetworkPlan;
  /** The region's snapshot schedule, if it has one. */
  snapshots: (region: string) => gcp.compute.ResourcePolicy | undefined;
  endpoint: (server: ServerPlan) => Endpoint;
  options: (region: string) => pulumi.CustomResourceOptions;
  names: ReturnType<typeof gcpNames>;
}

/**
 * `nats-global:gcp:Cluster`: a cluster's servers on Compute Engine. A new config or certificate
 * goes to the server's secret, which its machine applies by reload (or restart); a new image or
 * release replaces the instance. Either way servers change one at a time, each once the server
 * before it runs its new files, healthy and caught up; a new instance comes back with its
 * addresses and disk.
 */
export class GcpServers extends pulumi.ComponentResource implements ProvisionedServers {
  readonly clientUrls: pulumi.Output<string[]>;
  readonly monitorUrls: pulumi.Output<string[]>;
  readonly incarnations: pulumi.Output<string[]>;

  constructor(name: string, args: GcpServersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nats-global:gcp:Cluster", name, {}, opts);
    const { group, inputs } = args;
    const instances = group.servers.map((server) => {
      const { args: regionArgs } = args.placed(server.region);
      const options = { ...args.options(server.region), parent: this };
      const project = projectOf(regionArgs);
      const disk = new gcp.compute.Disk(
        args.names.disk(group.cluster.name, server.name),
        {
          zone: server.zone,
          size: regionArgs.volumeSize ?? VM_DEFAULTS.volumeSize,
          type: "pd-balanced",
          ...project,
        },
        // Left in the project when Pulumi deletes it (unless retainVolumes is false): what it
        // stored may exist nowhere else.
        { ...options, retainOnDelete: regionArgs.retainVolumes ?? true },
      );
      const schedule = args.snapshots(server.region);
      if (schedule !== undefined) {
        attachSnapshots(
          args.names.snapshotAttachment(group.cluster.name, server.name),
          disk,
          schedule,
          project,
          options,
        );
      }
      const identity = gcpServerIdentity(
        args.names,
        group.cluster.name,
        server.name,
        vmServerFiles(
          server.name,
          inputs.configs.get(server.name) as pulumi.Output<NatsServerConfig>,
          inputs.tls?.get(server.name),
        ),
        project,
        options,
        inputs.rolling.after(),
      );
      const script = serverBootScript({
        endpoint: args.endpoint(server),
        tls: inputs.tls !== undefined,
        source: identity.secret.id.apply((secret) => ({ cloud: "gcp" as const, secret })),
        dataDevice: `/dev/disk/by-id/google-${DATA_DISK}`,
        pollSeconds: regionArgs.filesPollSeconds,
      });
      const instance = new gcp.compute.Instance(
        args.names.instance(group.cluster.name, server.name),
        {
          zone: server.zone,
          machineType: regionArgs.machineType ?? DEFAULT_MACHINE_TYPE,
          bootDisk: { initializeParams: { image: regionArgs.image, size: 20 } },
          attachedDisks: [{ source: disk.id, deviceName: DATA_DISK }],
          networkInterfaces: [
            {
              subnetwork: args.subnetwork(server.region),
              networkIp: args.networkPlan(server.region).privateIps.get(server.name),
              accessConfigs: [{ natIp: args.address(server.name).address }],
            },
          ],
          // A new script replaces the instance: the cloud runs it at boot. It holds no key: the
          // config and certificates are in the server's secret, which only its account may read.
          metadataStartupScript: script,
          serviceAccount: { email: identity.account.email, scopes: ["cloud-platform"] },
          shieldedInstanceConfig: { enableSecureBoot: true },
          // A new machine type stops and starts the instance in place (its server in lame duck
          // mode); without this the provider refuses the change.
          allowStoppingForUpdate: true,
          tags: [args.names.tag(server.region)],
          labels: { [SERVER_LABEL]: server.name },
          ...project,
        },
        {
          ...options,
          // Its private address, external address and disk move to the new instance: the old one goes first.
          deleteBeforeReplace: true,
          dependsOn: [...inputs.rolling.after(), identity.version, identity.access],
        },
      );
      const ready: pulumi.Resource[] = [identity.version];
      if (regionArgs.dnsZone !== undefined) {
        const record = new gcp.dns.RecordSet(
          args.names.record(group.cluster.name, server.name),
          {
            managedZone: regionArgs.dnsZone,
            name: `${publicHost(regionArgs.host, server.name)}.`,
            type: "A",
            ttl: 60,
            rrdatas: [args.address(server.name).address],
            ...project,
          },
          options,
        );
        ready.push(record);
      }
      // A stop and start for a new machine type is a restart too: the next server waits for it.
      inputs.rolling.done(server.name, {
        incarnation: pulumi.interpolate`${instance.instanceId}/${instance.machineType}`,
        ready,
        files: identity.digest,
      });
      return instance;
    });
    const outputs = vmClusterOutputs(
      name,
      group.servers.map((server) => args.endpoint(server)),
      inputs.tls !== undefined,
      instances.map((i, k) => ({ server: group.servers[k].name, id: i.instanceId })),
      this,
    );
    this.clientUrls = outputs.clientUrls;
    this.monitorUrls = outputs.monitorUrls;
    this.incarnations = outputs.incarnations;
    this.registerOutputs({ clientUrls: this.clientUrls, monitorUrls: this.monitorUrls });
  }
}
