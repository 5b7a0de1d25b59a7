/*
 * What a region on AWS needs, and its checks. Pure: loaded without @pulumi/aws.
 */
import type * as pulumi from "@pulumi/pulumi";
import { ProblemList } from "../../model/validation";
import { checkCloudRegion, CloudNaming, VmRegionArgs } from "../vm/args";

export interface AwsRegionArgs extends VmRegionArgs {
  /** The AWS region, e.g. "us-west-2". */
  region: string;
  /** An `aws.Provider` for the region; else one is made from `region` and `profile` (or the environment). */
  provider?: pulumi.ProviderResource;
  profile?: string;
  /** Default "m6i.large" (2 vCPU, 8 GiB). */
  instanceType?: string;
  /** Default: the newest Ubuntu 24.04 LTS (amd64) image of Canonical. */
  ami?: string;
  /** An EC2 key pair for SSH (from `adminCidrs`). */
  keyName?: string;
  /** A Route 53 hosted zone: an A record per server, at its `host`, to its Elastic IP. */
  dnsZoneId?: string;
}

export interface AwsRegion {
  name: string;
  platform?: string;
  zones?: string[];
  aws?: AwsRegionArgs;
}

const AWS_NAMING: CloudNaming = {
  platform: "aws",
  exampleRegion: "us-west-2",
  region: /^[a-z]{2}(-[a-z]+)+-\d+$/,
  zone: (region, letter) => `${region}${letter}`,
};

/** Adds a problem for each bad field of an AWS region `at` its path; `servers` are the servers it hosts. */
export function checkAwsRegion(
  region: AwsRegion,
  at: string,
  servers: string[],
  problems: ProblemList,
): void {
  checkCloudRegion(region, region.aws, at, servers, AWS_NAMING, problems);
}
