/*
 * The `aws` platform's cloud: per region a VPC with a subnet in each zone, one security group and a
 * snapshot policy; per server an EC2 instance at a planned private address, an Elastic IP, and a
 * gp3 volume for its store that outlives the instance (and by default the stack).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ServerPlan } from "../../model/plan";
import { publicHost } from "../publicHosts";
import { snapshotSchedule, VM_DEFAULTS } from "../vm/args";
import { ReservedAddress, VmCloud, VmDisk, VmIdentity, VmMachine, VmRegionPlan, VmServer } from "../vm/cloud";
import { ruleSources, vmFirewallRules } from "../vm/firewall";
import { planInternalRanges, VmNetworkPlan } from "../vm/network";
import { ServerFileBundle } from "../vm/serverFiles";
import { compressedUserData } from "../vm/userData";
import { awsClusterName, AwsRegionArgs, awsSnapshotRoleName } from "./args";
import { serverIdentity } from "./serverIdentity";
import { SNAPSHOT_TAG, snapshotPolicy, snapshotRole, snapshotTagValue } from "./snapshots";

const DEFAULT_INSTANCE_TYPE = "m6i.large";
/** Where the data volume appears on Nitro instances: by its volume id. */
const nvmeDevice = (volumeId: string) =>
  `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`;

/** What a region's servers share: the network and the firewall. */
export interface AwsRegionInfra {
  /** Zone → its subnet's id. */
  subnets: Map<string, pulumi.Input<string>>;
  securityGroup: aws.ec2.SecurityGroup;
}

export interface AwsAddress extends ReservedAddress {
  eip: aws.ec2.Eip;
}

type AwsServer = VmServer<AwsRegionArgs, AwsRegionInfra, AwsAddress>;

export class AwsCloud implements VmCloud<AwsRegionArgs, AwsRegionInfra, AwsAddress> {
  readonly platform = "aws" as const;
  private readonly providers = new Map<string, pulumi.ProviderResource>();

  constructor(
    /** The super-cluster's name: what its resources are named after. */
    private readonly name: string,
    private readonly parent: pulumi.ComponentResource,
  ) {}

  clusterName(cluster: string): string {
    return awsClusterName(this.name, cluster);
  }

  givenNetwork(args: AwsRegionArgs): { cidr: string; subnetOf: (zone: string) => string } | undefined {
    const given = args.network;
    return given && { cidr: "", subnetOf: (zone) => given.subnets[zone].cidr };
  }

  reserveAddress(server: ServerPlan, region: VmRegionPlan<AwsRegionArgs>): AwsAddress {
    const eip = new aws.ec2.Eip(
      `${this.name}-${server.name}-ip`,
      { domain: "vpc", tags: { Name: `${this.name}-${server.name}` } },
      this.options(region, this.parent),
    );
    return { eip, ip: eip.publicIp };
  }

  options(region: VmRegionPlan<AwsRegionArgs>, parent: pulumi.Resource): pulumi.CustomResourceOptions {
    return { parent, provider: this.providerOf(region) };
  }

  /** The region's VPC (or yours), subnets, security group and snapshot policy. */
  regionInfra(
    region: VmRegionPlan<AwsRegionArgs>,
    network: VmNetworkPlan,
    peers: pulumi.Output<string[]> | undefined,
  ): AwsRegionInfra {
    const { args } = region;
    const opts = this.options(region, this.parent);
    const prefix = `${this.name}-${region.name}`;
    const given = args.network;
    const { vpcId, subnets } =
      given === undefined
        ? createNetwork(prefix, network, opts)
        : {
            vpcId: given.vpcId,
            subnets: new Map<string, pulumi.Input<string>>(
              Object.entries(given.subnets).map(([z, s]) => [z, s.id]),
            ),
          };
    const securityGroup = new aws.ec2.SecurityGroup(
      `${prefix}-nats`,
      {
        vpcId,
        description: "nats-global: client, route, gateway and monitoring ports",
        ingress: vmFirewallRules(planInternalRanges(network), args).map((rule) => ({
          protocol: "tcp",
          fromPort: rule.port,
          toPort: rule.port,
          cidrBlocks: ruleSources(rule, peers),
          description: rule.description,
        })),
        egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
        tags: { Name: `${prefix}-nats` },
      },
      opts,
    );
    const schedule = snapshotSchedule(args);
    if (schedule !== undefined) {
      const role = snapshotRole(awsSnapshotRoleName(this.name, region.name), args.region, opts);
      snapshotPolicy(`${prefix}-snapshots`, schedule, snapshotTagValue(this.name), role, opts);
    }
    return { subnets, securityGroup };
  }

  disk(vm: AwsServer): VmDisk {
    const { args } = vm.region;
    const volume = new aws.ebs.Volume(
      `${vm.name}-data`,
      {
        availabilityZone: vm.server.zone,
        size: args.volumeSize ?? VM_DEFAULTS.volumeSize,
        type: "gp3",
        encrypted: true,
        tags: {
          Name: `${vm.name}-data`,
          ...(snapshotSchedule(args) !== undefined ? { [SNAPSHOT_TAG]: snapshotTagValue(this.name) } : {}),
        },
      },
      // Left in the account when Pulumi deletes it (unless retainVolumes is false): what it stored
      // may exist nowhere else.
      { ...vm.options, retainOnDelete: args.retainVolumes ?? true },
    );
    return { resource: volume, device: volume.id.apply(nvmeDevice) };
  }

  identity(vm: AwsServer, files: pulumi.Output<ServerFileBundle>): VmIdentity {
    // vm.name is awsServerName: what the preview checks measure against IAM's limit.
    const identity = serverIdentity(vm.name, files, vm.options, vm.after);
    return {
      source: identity.secret.arn.apply((secret) => ({
        cloud: "aws" as const,
        secret,
        region: vm.region.args.region,
      })),
      version: identity.version,
      grants: [identity.policy],
      machineIdentity: identity.profile.name,
    };
  }

  instance(
    vm: AwsServer,
    parts: { script: pulumi.Output<string>; disk: VmDisk; identity: VmIdentity },
  ): VmMachine {
    const { args } = vm.region;
    const instance = new aws.ec2.Instance(
      vm.name,
      {
        ami: args.ami,
        instanceType: args.instanceType ?? DEFAULT_INSTANCE_TYPE,
        subnetId: vm.infra.subnets.get(vm.server.zone) as pulumi.Input<string>,
        privateIp: vm.network.privateIps.get(vm.server.name),
        vpcSecurityGroupIds: [vm.infra.securityGroup.id],
        // Holds no key: the config and certificates are in the server's secret.
        userDataBase64: parts.script.apply((script) => compressedUserData(script, vm.server.name)),
        userDataReplaceOnChange: true,
        iamInstanceProfile: parts.identity.machineIdentity,
        rootBlockDevice: { volumeType: "gp3", volumeSize: 20, encrypted: true },
        metadataOptions: { httpTokens: "required" },
        ...(args.keyName !== undefined ? { keyName: args.keyName } : {}),
        tags: { Name: vm.name, "nats-global:server": vm.server.name },
      },
      {
        ...vm.options,
        // Its private address and volume move to the new instance: the old one goes first.
        deleteBeforeReplace: true,
        dependsOn: [...vm.after, parts.identity.version, ...parts.identity.grants],
      },
    );
    const association = new aws.ec2.EipAssociation(
      `${vm.name}-ip`,
      { instanceId: instance.id, allocationId: vm.address.eip.allocationId },
      vm.options,
    );
    const attachment = new aws.ec2.VolumeAttachment(
      `${vm.name}-data`,
      {
        deviceName: "/dev/sdf",
        volumeId: parts.disk.resource.id,
        instanceId: instance.id,
        // Detaching under a running server would cut its JetStream store mid-write: the provider
        // stops the instance (systemd puts nats-server in lame duck mode) and detaches after.
        stopInstanceBeforeDetaching: true,
      },
      // Deleted before the address association: the server's lame duck mode reaches its clients
      // and gateways at the address they know.
      { ...vm.options, dependsOn: [association] },
    );
    return {
      id: instance.id,
      // A new instance type stops and starts the instance in place: a restart the next server waits for.
      incarnation: pulumi.interpolate`${instance.id}/${instance.instanceType}`,
      ready: [association, attachment],
    };
  }

  dnsRecord(vm: AwsServer): pulumi.Resource | undefined {
    const { args } = vm.region;
    if (args.dnsZoneId === undefined) return undefined;
    return new aws.route53.Record(
      `${vm.name}-dns`,
      {
        zoneId: args.dnsZoneId,
        name: publicHost(args.host, vm.server.name),
        type: "A",
        ttl: 60,
        records: [vm.address.ip],
      },
      vm.options,
    );
  }

  private providerOf(region: VmRegionPlan<AwsRegionArgs>): pulumi.ProviderResource {
    const { args } = region;
    if (args.provider !== undefined) return args.provider;
    const known = this.providers.get(region.name);
    if (known !== undefined) return known;
    const provider = new aws.Provider(
      `${this.name}-${region.name}-aws`,
      { region: args.region as aws.Region, ...(args.profile !== undefined ? { profile: args.profile } : {}) },
      { parent: this.parent },
    );
    this.providers.set(region.name, provider);
    return provider;
  }
}

/** A VPC for the region with a public subnet per zone: internet gateway and routes. */
function createNetwork(
  prefix: string,
  network: VmNetworkPlan,
  opts: pulumi.CustomResourceOptions,
): { vpcId: pulumi.Input<string>; subnets: Map<string, pulumi.Input<string>> } {
  const tags = (what: string) => ({ Name: `${prefix}-${what}` });
  const vpc = new aws.ec2.Vpc(
    `${prefix}-vpc`,
    { cidrBlock: network.cidr, enableDnsHostnames: true, tags: tags("vpc") },
    opts,
  );
  const gateway = new aws.ec2.InternetGateway(`${prefix}-igw`, { vpcId: vpc.id, tags: tags("igw") }, opts);
  const routes = new aws.ec2.RouteTable(
    `${prefix}-routes`,
    { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }], tags: tags("routes") },
    opts,
  );
  const subnets = new Map(
    network.subnets.map(({ zone, cidr }) => {
      const subnet = new aws.ec2.Subnet(
        `${prefix}-${zone}`,
        { vpcId: vpc.id, cidrBlock: cidr, availabilityZone: zone, tags: tags(zone) },
        opts,
      );
      new aws.ec2.RouteTableAssociation(
        `${prefix}-${zone}-routes`,
        { subnetId: subnet.id, routeTableId: routes.id },
        opts,
      );
      return [zone, subnet.id as pulumi.Input<string>];
    }),
  );
  return { vpcId: vpc.id, subnets };
}
