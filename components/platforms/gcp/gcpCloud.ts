/*
 * The `gcp` platform's cloud: one VPC network for all GCP regions; per region a subnetwork,
 * firewall rules for its servers' network tag and a snapshot schedule; per server a Compute Engine
 * instance at a planned private address with a static external address and a persistent disk that
 * outlives it (and by default the stack).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { ServerPlan } from "../../model/plan";
import { publicHost } from "../publicHosts";
import { snapshotSchedule, VM_DEFAULTS } from "../vm/args";
import { ReservedAddress, VmCloud, VmDisk, VmIdentity, VmMachine, VmRegionPlan, VmServer } from "../vm/cloud";
import { ruleSources, vmFirewallRules } from "../vm/firewall";
import { planInternalRanges, VmNetworkPlan } from "../vm/network";
import { ServerFileBundle } from "../vm/serverFiles";
import { GcpRegionArgs } from "./args";
import { DATA_DISK, gcpNames, SERVER_LABEL } from "./naming";
import { gcpServerIdentity } from "./serverIdentity";
import { attachSnapshots, snapshotSchedulePolicy } from "./snapshots";

const DEFAULT_MACHINE_TYPE = "e2-standard-2";

/** What a region's servers share: their subnetwork and snapshot schedule. */
export interface GcpRegionInfra {
  subnetwork: pulumi.Input<string>;
  snapshots: gcp.compute.ResourcePolicy | undefined;
}

type GcpServer = VmServer<GcpRegionArgs, GcpRegionInfra, ReservedAddress>;

const projectOf = (args: GcpRegionArgs) => (args.project !== undefined ? { project: args.project } : {});

export class GcpCloud implements VmCloud<GcpRegionArgs, GcpRegionInfra, ReservedAddress> {
  readonly platform = "gcp" as const;
  private readonly names: ReturnType<typeof gcpNames>;
  private network: gcp.compute.Network | undefined;

  constructor(
    /** The super-cluster's name: what its resources are named after. */
    private readonly superCluster: string,
    private readonly parent: pulumi.ComponentResource,
  ) {
    this.names = gcpNames(superCluster, pulumi.getStack());
  }

  clusterName(cluster: string): string {
    return this.names.cluster(cluster);
  }

  givenNetwork(args: GcpRegionArgs): { cidr: string; subnetOf: (zone: string) => string } | undefined {
    const given = args.network;
    return given && { cidr: given.cidr, subnetOf: () => given.cidr };
  }

  reserveAddress(server: ServerPlan, region: VmRegionPlan<GcpRegionArgs>): ReservedAddress {
    const address = new gcp.compute.Address(
      this.names.address(server.name),
      { region: region.args.region, addressType: "EXTERNAL", ...projectOf(region.args) },
      this.options(region, this.parent),
    );
    return { ip: address.address };
  }

  options(region: VmRegionPlan<GcpRegionArgs>, parent: pulumi.Resource): pulumi.CustomResourceOptions {
    const provider = region.args.provider;
    return { parent, ...(provider !== undefined ? { provider } : {}) };
  }

  /** The region's subnetwork (made in the one network, or yours), firewall rules and schedule. */
  regionInfra(
    region: VmRegionPlan<GcpRegionArgs>,
    plan: VmNetworkPlan,
    peers: pulumi.Output<string[]> | undefined,
  ): GcpRegionInfra {
    const { args } = region;
    const options = this.options(region, this.parent);
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
        this.names.subnetwork(region.name),
        { region: args.region, network, ipCidrRange: plan.cidr, ...project },
        options,
      ).id;
    const tag = this.names.tag(region.name);
    for (const rule of vmFirewallRules(planInternalRanges(plan), args)) {
      new gcp.compute.Firewall(
        this.names.firewall(region.name, rule.name),
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
    const schedule = snapshotSchedule(args);
    const snapshots =
      schedule &&
      snapshotSchedulePolicy(
        this.names.snapshots(region.name),
        args.region,
        this.superCluster,
        schedule,
        project,
        options,
      );
    return { subnetwork, snapshots };
  }

  disk(vm: GcpServer): VmDisk {
    const { args } = vm.region;
    const project = projectOf(args);
    const disk = new gcp.compute.Disk(
      this.names.disk(vm.server.cluster, vm.server.name),
      {
        zone: vm.server.zone,
        size: args.volumeSize ?? VM_DEFAULTS.volumeSize,
        type: "pd-balanced",
        ...project,
      },
      // Left in the project when Pulumi deletes it (unless retainVolumes is false): what it stored
      // may exist nowhere else.
      { ...vm.options, retainOnDelete: args.retainVolumes ?? true },
    );
    if (vm.infra.snapshots !== undefined) {
      attachSnapshots(
        this.names.snapshotAttachment(vm.server.cluster, vm.server.name),
        disk,
        vm.infra.snapshots,
        project,
        vm.options,
      );
    }
    return { resource: disk, device: `/dev/disk/by-id/google-${DATA_DISK}` };
  }

  identity(vm: GcpServer, files: pulumi.Output<ServerFileBundle>): VmIdentity {
    const identity = gcpServerIdentity(
      this.names,
      vm.server.cluster,
      vm.server.name,
      files,
      projectOf(vm.region.args),
      vm.options,
      vm.after,
    );
    return {
      source: identity.secret.id.apply((secret) => ({ cloud: "gcp" as const, secret })),
      version: identity.version,
      grants: [identity.access],
      machineIdentity: identity.account.email,
    };
  }

  instance(
    vm: GcpServer,
    parts: { script: pulumi.Output<string>; disk: VmDisk; identity: VmIdentity },
  ): VmMachine {
    const { args } = vm.region;
    const instance = new gcp.compute.Instance(
      this.names.instance(vm.server.cluster, vm.server.name),
      {
        zone: vm.server.zone,
        machineType: args.machineType ?? DEFAULT_MACHINE_TYPE,
        bootDisk: { initializeParams: { image: args.image, size: 20 } },
        attachedDisks: [{ source: parts.disk.resource.id, deviceName: DATA_DISK }],
        networkInterfaces: [
          {
            subnetwork: vm.infra.subnetwork,
            networkIp: vm.network.privateIps.get(vm.server.name),
            accessConfigs: [{ natIp: vm.address.ip }],
          },
        ],
        // A new script replaces the instance: the cloud runs it at boot. It holds no key: the
        // config and certificates are in the server's secret, which only its account may read.
        metadataStartupScript: parts.script,
        serviceAccount: { email: parts.identity.machineIdentity, scopes: ["cloud-platform"] },
        shieldedInstanceConfig: { enableSecureBoot: true },
        // A new machine type stops and starts the instance in place (its server in lame duck
        // mode); without this the provider refuses the change.
        allowStoppingForUpdate: true,
        tags: [this.names.tag(vm.server.region)],
        labels: { [SERVER_LABEL]: vm.server.name },
        ...projectOf(args),
      },
      {
        ...vm.options,
        // Its private address, external address and disk move to the new instance: the old one goes first.
        deleteBeforeReplace: true,
        dependsOn: [...vm.after, parts.identity.version, ...parts.identity.grants],
      },
    );
    return {
      id: instance.instanceId,
      // A stop and start for a new machine type is a restart too: the next server waits for it.
      incarnation: pulumi.interpolate`${instance.instanceId}/${instance.machineType}`,
      ready: [],
    };
  }

  dnsRecord(vm: GcpServer): pulumi.Resource | undefined {
    const { args } = vm.region;
    if (args.dnsZone === undefined) return undefined;
    return new gcp.dns.RecordSet(
      this.names.record(vm.server.cluster, vm.server.name),
      {
        managedZone: args.dnsZone,
        name: `${publicHost(args.host, vm.server.name)}.`,
        type: "A",
        ttl: 60,
        rrdatas: [vm.address.ip],
        ...projectOf(args),
      },
      vm.options,
    );
  }
}
