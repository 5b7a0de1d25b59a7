/*
 * What a region on AWS needs, and its checks. Pure: loaded without @pulumi/aws.
 */
import type * as pulumi from "@pulumi/pulumi";
import { ProblemList } from "../../model/validation";
import { checkVmRegion, VmRegionArgs } from "../vm/args";

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

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Adds a problem for each bad field of an AWS region `at` its path; `servers` are the servers it hosts. */
export function checkAwsRegion(
  region: AwsRegion,
  at: string,
  servers: string[],
  problems: ProblemList,
): void {
  const aws = region.aws;
  if (aws === undefined) {
    problems.add(`${at}.aws`, 'a region on aws needs aws.region (e.g. "us-west-2") and aws.host');
    return;
  }
  if (typeof aws.region !== "string" || !REGION.test(aws.region)) {
    problems.add(
      `${at}.aws.region`,
      `${JSON.stringify(aws.region)} is not an AWS region name such as "us-west-2"`,
    );
  }
  if (region.zones === undefined) {
    problems.add(
      `${at}.zones`,
      `name the region's availability zones, e.g. ["${aws.region}a", "${aws.region}b", "${aws.region}c"]`,
    );
  } else if (typeof aws.region === "string") {
    region.zones.forEach((zone, j) => {
      if (!zone.startsWith(aws.region) || zone.length !== aws.region.length + 1) {
        problems.add(
          `${at}.zones[${j}]`,
          `"${zone}" is not an availability zone of ${aws.region} (such as ${aws.region}a)`,
        );
      }
    });
  }
  checkVmRegion(aws, `${at}.aws`, servers, problems);
}
