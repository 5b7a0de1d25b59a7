import * as aws from "@pulumi/aws";
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
import { compressedUserData } from "../vm/userData";
import { awsClusterName, AwsRegionArgs } from "./args";
import { serverIdentity } from "./serverIdentity";
import { SNAPSHOT_TAG, snapshotPolicy, snapshotRole, snapshotTagValue } from "./snapshots";

const DEFAULT_INSTANCE_TYPE = "m6i.large";
/** Where the data volume appears on Nitro instances: by its volume id. */
const nvmeDevice = (volumeId: string) =>
  `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`;

/** A region on AWS, with the args that placed it. */
export interface AwsRegionPlan {
  args: AwsRegionArgs;
  zones: string[];
  /** Second octet of the region's 10.x.0.0/16. */
  octet: number;
}

/** What a region's servers share: the network and the firewall. */
interface RegionInfra {
  provider: pulumi.ProviderResource;
  network: VmNetworkPlan;
  /** Zone → its subnet's id. */
  subnets: Map<string, pulumi.Input<string>>;
  securityGroup: aws.ec2.SecurityGroup;
}

/**
 * The `aws` platform: per region a VPC with a subnet in each zone and one security group; per
 * server an EC2 instance at a planned private address, an Elastic IP, and a gp3 volume for its store
 * that outlives the instance.
 */
export class AwsPlatform implements PlatformDriver {
  readonly platform = "aws" as const;
  /** Server name → its Elastic IP, made before any server so that firewalls can name their peers. */
  readonly publicIps = new Map<string, pulumi.Output<string>>();
  private readonly eips = new Map<string, aws.ec2.Eip>();
  private readonly infra = new Map<string, RegionInfra>();
  private readonly networks = new Map<string, VmNetworkPlan>();

  constructor(
    private readonly name: string,
    private readonly regions: Map<string, AwsRegionPlan>,
    plan: SuperClusterPlan,
    private readonly parent: pulumi.ComponentResource,
  ) {
    const servers = plan.clusters.flatMap((c) => c.servers).filter((s) => s.platform === "aws");
    for (const [region, placed] of regions) {
      const hosted = servers.filter((s) => s.region === region);
      const given = placed.args.network;
      this.networks.set(
        region,
        regionVmNetwork(
          placed.octet,
          placed.zones,
          hosted,
          given && { cidr: "", subnetOf: (zone) => given.subnets[zone].cidr },
        ),
      );
      const provider = this.providerOf(region);
      for (const server of hosted) {
        const eip = new aws.ec2.Eip(
          `${name}-${server.name}-ip`,
          { domain: "vpc", tags: { Name: `${name}-${server.name}` } },
          { parent, provider },
        );
        this.eips.set(server.name, eip);
        this.publicIps.set(server.name, eip.publicIp);
      }
    }
  }

  endpoint(server: ServerPlan): Endpoint {
    const placed = this.placed(server.region);
    return vmEndpoint(server, {
      publicHost: publicHost(placed.args.host, server.name),
      privateIp: this.networks.get(server.region)?.privateIps.get(server.name) as string,
    });
  }

  files(_server: ServerPlan, tls: boolean): ServerFiles {
    return vmFiles(vmLayout(), tls);
  }

  provision(group: ServerGroup, inputs: GroupInputs): AwsServers {
    return new AwsServers(
      awsClusterName(this.name, group.cluster.name),
      {
        superCluster: this.name,
        group,
        inputs,
        placed: (region) => this.placed(region),
        infra: (region) => this.regionInfra(region, inputs.peers),
        eip: (server) => this.eips.get(server) as aws.ec2.Eip,
        endpoint: (server) => this.endpoint(server),
      },
      { parent: this.parent },
    );
  }

  private placed(region: string): AwsRegionPlan {
    const placed = this.regions.get(region);
    if (placed === undefined) throw new Error(`region ${region} has no aws args`);
    return placed;
  }

  private providerCache = new Map<string, pulumi.ProviderResource>();
  private providerOf(region: string): pulumi.ProviderResource {
    const args = this.placed(region).args;
    if (args.provider !== undefined) return args.provider;
    const known = this.providerCache.get(region);
    if (known !== undefined) return known;
    const provider = new aws.Provider(
      `${this.name}-${region}-aws`,
      { region: args.region as aws.Region, ...(args.profile !== undefined ? { profile: args.profile } : {}) },
      { parent: this.parent },
    );
    this.providerCache.set(region, provider);
    return provider;
  }

  /** A VPC for the region with a public subnet per zone: internet gateway and routes. */
  private createNetwork(
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

  private role: aws.iam.Role | undefined;
  /** The role of every region's snapshot policy, made once with the first region's provider. */
  private snapshotRole(opts: pulumi.CustomResourceOptions): aws.iam.Role {
    this.role ??= snapshotRole(`${this.name}-snapshots`, opts);
    return this.role;
  }

  /** The region's VPC, subnets, security group and snapshot policy, made once for all its clusters. */
  private regionInfra(region: string, peers: pulumi.Output<string[]> | undefined): RegionInfra {
    const known = this.infra.get(region);
    if (known !== undefined) return known;
    const { args } = this.placed(region);
    const network = this.networks.get(region) as VmNetworkPlan;
    const provider = this.providerOf(region);
    const opts = { parent: this.parent, provider };
    const prefix = `${this.name}-${region}`;
    const tags = (what: string) => ({ Name: `${prefix}-${what}` });
    const given = args.network;
    const { vpcId, subnets } =
      given === undefined
        ? this.createNetwork(prefix, network, opts)
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
        tags: tags("nats"),
      },
      opts,
    );
    const schedule = snapshotSchedule(args);
    if (schedule !== undefined) {
      snapshotPolicy(
        `${prefix}-snapshots`,
        schedule,
        snapshotTagValue(this.name),
        this.snapshotRole(opts),
        opts,
      );
    }
    const infra = { provider, network, subnets, securityGroup };
    this.infra.set(region, infra);
    return infra;
  }
}

interface AwsServersArgs {
  /** The super-cluster's name: what its snapshot policies find its volumes by. */
  superCluster: string;
  group: ServerGroup;
  inputs: GroupInputs;
  placed: (region: string) => AwsRegionPlan;
  infra: (region: string) => RegionInfra;
  eip: (server: string) => aws.ec2.Eip;
  endpoint: (server: ServerPlan) => Endpoint;
}

/**
 * `nats-global:aws:Cluster`: a cluster's servers on EC2. A new config or certificate goes to the
 * server's secret, which its machine applies by reload (or restart); a new image or release
 * replaces the instance. Either way servers change one at a time, each once the server before it
 * runs its new files, healthy and caught up; a new instance comes back with its address and volume.
 */
export class AwsServers extends pulumi.ComponentResource implements ProvisionedServers {
  readonly clientUrls: pulumi.Output<string[]>;
  readonly monitorUrls: pulumi.Output<string[]>;
  readonly incarnations: pulumi.Output<string[]>;

  constructor(name: string, args: AwsServersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nats-global:aws:Cluster", name, {}, opts);
    const { group, inputs } = args;
    const instances = group.servers.map((server) => {
      const { args: regionArgs } = args.placed(server.region);
      const infra = args.infra(server.region);
      const options = { parent: this, provider: infra.provider };
      const volume = new aws.ebs.Volume(
        `${name}-${server.name}-data`,
        {
          availabilityZone: server.zone,
          size: regionArgs.volumeSize ?? VM_DEFAULTS.volumeSize,
          type: "gp3",
          encrypted: true,
          tags: {
            Name: `${name}-${server.name}-data`,
            ...(snapshotSchedule(regionArgs) !== undefined
              ? { [SNAPSHOT_TAG]: snapshotTagValue(args.superCluster) }
              : {}),
          },
        },
        // Left in the account when Pulumi deletes it (unless retainVolumes is false): what it
        // stored may exist nowhere else.
        { ...options, retainOnDelete: regionArgs.retainVolumes ?? true },
      );
      const identity = serverIdentity(
        `${name}-${server.name}`, // awsServerName: what the preview checks measure
        vmServerFiles(
          server.name,
          inputs.configs.get(server.name) as pulumi.Output<NatsServerConfig>,
          inputs.tls?.get(server.name),
        ),
        options,
        inputs.rolling.after(),
      );
      const userData = serverBootScript({
        endpoint: args.endpoint(server),
        tls: inputs.tls !== undefined,
        source: identity.secret.arn.apply((secret) => ({
          cloud: "aws" as const,
          secret,
          region: regionArgs.region,
        })),
        dataDevice: volume.id.apply(nvmeDevice),
        pollSeconds: regionArgs.filesPollSeconds,
      }).apply((script) => compressedUserData(script, server.name));
      const instance = new aws.ec2.Instance(
        `${name}-${server.name}`,
        {
          ami: regionArgs.ami,
          instanceType: regionArgs.instanceType ?? DEFAULT_INSTANCE_TYPE,
          subnetId: infra.subnets.get(server.zone) as pulumi.Input<string>,
          privateIp: infra.network.privateIps.get(server.name),
          vpcSecurityGroupIds: [infra.securityGroup.id],
          // Holds no key: the config and certificates are in the server's secret.
          userDataBase64: userData,
          userDataReplaceOnChange: true,
          iamInstanceProfile: identity.profile.name,
          rootBlockDevice: { volumeType: "gp3", volumeSize: 20, encrypted: true },
          metadataOptions: { httpTokens: "required" },
          ...(regionArgs.keyName !== undefined ? { keyName: regionArgs.keyName } : {}),
          tags: { Name: `${name}-${server.name}`, "nats-global:server": server.name },
        },
        {
          ...options,
          // Its private address and volume move to the new instance: the old one goes first.
          deleteBeforeReplace: true,
          dependsOn: [...inputs.rolling.after(), identity.version, identity.policy],
        },
      );
      const association = new aws.ec2.EipAssociation(
        `${name}-${server.name}-ip`,
        { instanceId: instance.id, allocationId: args.eip(server.name).allocationId },
        options,
      );
      const attachment = new aws.ec2.VolumeAttachment(
        `${name}-${server.name}-data`,
        {
          deviceName: "/dev/sdf",
          volumeId: volume.id,
          instanceId: instance.id,
          // Detaching under a running server would cut its JetStream store mid-write: the provider
          // stops the instance (systemd puts nats-server in lame duck mode) and detaches after.
          stopInstanceBeforeDetaching: true,
        },
        // Deleted before the address association: the server's lame duck mode reaches its clients
        // and gateways at the address they know.
        { ...options, dependsOn: [association] },
      );
      const ready: pulumi.Resource[] = [association, attachment, identity.version];
      if (regionArgs.dnsZoneId !== undefined) {
        const record = new aws.route53.Record(
          `${name}-${server.name}-dns`,
          {
            zoneId: regionArgs.dnsZoneId,
            name: publicHost(regionArgs.host, server.name),
            type: "A",
            ttl: 60,
            records: [args.eip(server.name).publicIp],
          },
          options,
        );
        ready.push(record);
      }
      // A new instance type stops and starts the instance in place: a restart the next server waits for.
      inputs.rolling.done(server.name, {
        incarnation: pulumi.interpolate`${instance.id}/${instance.instanceType}`,
        ready,
        files: identity.digest,
      });
      return instance;
    });
    const outputs = vmClusterOutputs(
      name,
      group.servers.map((server) => args.endpoint(server)),
      inputs.tls !== undefined,
      instances.map((i, k) => ({ server: group.servers[k].name, id: i.id })),
      this,
    );
    this.clientUrls = outputs.clientUrls;
    this.monitorUrls = outputs.monitorUrls;
    this.incarnations = outputs.incarnations;
    this.registerOutputs({ clientUrls: this.clientUrls, monitorUrls: this.monitorUrls });
  }
}
