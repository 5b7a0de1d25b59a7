/*
 * What a region on AWS needs, and its checks. Pure: loaded without @pulumi/aws.
 */
import type * as pulumi from "@pulumi/pulumi";
import { ServerPlan } from "../../model/plan";
import { ProblemList } from "../../model/validation";
import { checkCloudRegion, CloudNaming, VmRegionArgs } from "../vm/args";
import { sourceRangeCount, vmFirewallRules } from "../vm/firewall";
import { internalRanges, subnetProblem } from "../vm/network";

export interface AwsRegionArgs extends VmRegionArgs {
  /** The AWS region, e.g. "us-west-2". */
  region: string;
  /** An `aws.Provider` for the region; else one is made from `region` and `profile` (or the environment). */
  provider?: pulumi.ProviderResource;
  profile?: string;
  /** Default "m6i.large" (2 vCPU, 8 GiB). */
  instanceType?: string;
  /**
   * The servers' image, an AMI id of this region (an Ubuntu with systemd, e.g. 24.04 LTS): pinned,
   * so that servers change only when you change it; a new id replaces them one at a time.
   */
  ami: string;
  /** An EC2 key pair for SSH (from `adminCidrs`). */
  keyName?: string;
  /** A Route 53 hosted zone: an A record per server, at its `host`, to its Elastic IP. */
  dnsZoneId?: string;
  /**
   * A VPC of yours instead of one made per region: its id, and per zone a public subnet (one that
   * routes to an internet gateway) with its CIDR, from which each server gets a fixed address.
   */
  network?: { vpcId: string; subnets: Record<string, { id: string; cidr: string }> };
  /**
   * Inbound rules a security group may have in your account (default 60, AWS's default quota,
   * raised in Service Quotas): AWS counts each source range, and each server's public IP is two.
   */
  securityGroupRuleQuota?: number;
}

/** The Pulumi name of a cluster's servers on AWS: each server's resources are named from it. */
export const awsClusterName = (superCluster: string, cluster: string): string =>
  `${superCluster}-${cluster}-aws`;
/** The Pulumi name of a server's IAM role (and instance profile): its cluster's, then the server. */
export const awsServerName = (superCluster: string, server: ServerPlan): string =>
  `${awsClusterName(superCluster, server.cluster)}-${server.name}`;

/** The Pulumi name of a region's snapshot role (and policy): the super-cluster's, then the region. */
export const awsSnapshotRoleName = (superCluster: string, region: string): string =>
  `${superCluster}-${region}-snapshots`;

/**
 * IAM takes role names of 64 characters at most (terraform-provider-aws iam/role.go), and the
 * provider names a role after its Pulumi name plus "-" and 7 random characters, never shortening it.
 */
const IAM_ROLE_NAME_MAX = 64;
const AUTONAME_SUFFIX = 8;

/** Adds a problem for each region whose servers' IAM role names IAM would refuse. */
export function checkAwsNames(
  superCluster: string,
  regions: { at: string; name: string }[],
  servers: ServerPlan[],
  problems: ProblemList,
): void {
  for (const { at, name } of regions) {
    const longest = [
      awsSnapshotRoleName(superCluster, name),
      ...servers
        .filter((server) => server.region === name)
        .map((server) => awsServerName(superCluster, server)),
    ].reduce((a, b) => (b.length > a.length ? b : a), "");
    if (longest.length + AUTONAME_SUFFIX > IAM_ROLE_NAME_MAX) {
      problems.add(
        `${at}.name`,
        `would make the IAM role name "${longest}-xxxxxxx", ${longest.length + AUTONAME_SUFFIX} characters, ` +
          `over IAM's ${IAM_ROLE_NAME_MAX}: shorten the region's, the stretch cluster's or the super-cluster's name`,
      );
    }
  }
}

/** AWS's default quota of inbound rules per security group (each source range counts). */
export const AWS_SECURITY_GROUP_RULES = 60;

export interface AwsRegion {
  name: string;
  platform?: string;
  zones?: string[];
  aws?: AwsRegionArgs;
}

const AWS_NAMING: CloudNaming<"ami"> = {
  platform: "aws",
  exampleRegion: "us-west-2",
  region: /^[a-z]{2}(-[a-z]+)+-\d+$/,
  zone: (region, letter) => `${region}${letter}`,
  image: {
    field: "ami",
    form: /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/,
    example: "ami-0123456789abcdef0",
    lookup: (region) =>
      `aws ec2 describe-images --region ${region} --owners 099720109477 ` +
      `--filters 'Name=name,Values=ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*' ` +
      `--query 'sort_by(Images,&CreationDate)[-1].ImageId' --output text`,
  },
};

/**
 * Adds a problem for each bad field of an AWS region `at` its path; `servers` are the servers it
 * hosts, `peers` the number of public addresses its firewall admits (undefined when unknown).
 */
export function checkAwsRegion(
  region: AwsRegion,
  at: string,
  servers: string[],
  peers: number | undefined,
  problems: ProblemList,
): void {
  checkCloudRegion(region, region.aws, at, servers, AWS_NAMING, problems);
  if (region.aws !== undefined) checkRuleQuota(region.aws, `${at}.aws`, peers, problems);
  const network = region.aws?.network;
  if (network === undefined) return;
  const field = `${at}.aws.network`;
  if (typeof network.vpcId !== "string" || !network.vpcId.startsWith("vpc-")) {
    problems.add(`${field}.vpcId`, `${JSON.stringify(network.vpcId)} is not a VPC id such as "vpc-0abc..."`);
  }
  for (const zone of region.zones ?? []) {
    const subnet = network.subnets?.[zone];
    if (subnet === undefined) {
      problems.add(`${field}.subnets`, `no subnet for zone ${zone}: give one per zone of the region`);
      continue;
    }
    // Room for every server of the region, however they spread over its zones.
    problems.check(`${field}.subnets.${zone}.cidr`, subnetProblem(subnet.cidr, servers.length));
    if (typeof subnet.id !== "string" || !subnet.id.startsWith("subnet-")) {
      problems.add(
        `${field}.subnets.${zone}.id`,
        `${JSON.stringify(subnet.id)} is not a subnet id such as "subnet-0abc..."`,
      );
    }
  }
}

function checkRuleQuota(
  args: AwsRegionArgs,
  at: string,
  peers: number | undefined,
  problems: ProblemList,
): void {
  const quota = args.securityGroupRuleQuota ?? AWS_SECURITY_GROUP_RULES;
  if (!(Number.isInteger(quota) && quota > 0)) {
    problems.add(`${at}.securityGroupRuleQuota`, `must be a whole number (got ${JSON.stringify(quota)})`);
    return;
  }
  // The range of the region's own network is not known before it is planned; only its count matters.
  const internal = internalRanges(
    args.network === undefined ? "the region's own range" : "",
    Object.values(args.network?.subnets ?? {}).map((subnet) => subnet.cidr),
  );
  const rules = sourceRangeCount(vmFirewallRules(internal, args), peers);
  if (rules > quota) {
    problems.add(
      `${at}.securityGroupRuleQuota`,
      `the region's security group needs ${rules} inbound rules, over ${quota}: AWS counts each source ` +
        "range (clients, the region, admins, and every server's public IP twice: routes and gateways). " +
        'Raise "Inbound or outbound rules per security group" in Service Quotas and set ' +
        "securityGroupRuleQuota to it, or run fewer servers",
    );
  }
}
