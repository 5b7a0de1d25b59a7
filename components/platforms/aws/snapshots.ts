/*
 * Scheduled snapshots of the servers' volumes on AWS: per region one Data Lifecycle Manager policy
 * that snapshots the volumes tagged for this stack's super-cluster, run by an IAM role that DLM
 * assumes (with AWS's managed policy for it).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SnapshotSchedule } from "../vm/args";

/** The tag a DLM policy finds its volumes by; its value names the stack and super-cluster. */
export const SNAPSHOT_TAG = "nats-global:snapshots";

/** Unique per stack: two stacks of one account and region never snapshot each other's volumes. */
export const snapshotTagValue = (superCluster: string): string =>
  `${pulumi.getProject()}/${pulumi.getStack()}/${superCluster}`;

const DLM_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
/** The partition of an AWS region's ARNs (China and GovCloud have their own). */
export const awsPartition = (region: string): string =>
  region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";

/**
 * The role a region's policy runs as, with AWS's managed policy for DLM (create, tag and delete EBS
 * snapshots): one per region, since regions may be in different accounts.
 */
export function snapshotRole(
  name: string,
  region: string,
  options: pulumi.CustomResourceOptions,
): aws.iam.Role {
  const role = new aws.iam.Role(
    name,
    { description: `nats-global: snapshots of the volumes of ${name}`, assumeRolePolicy: DLM_TRUST },
    options,
  );
  const policyArn = `arn:${awsPartition(region)}:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole`;
  new aws.iam.RolePolicyAttachment(name, { role: role.name, policyArn }, options);
  return role;
}

/** The policy that snapshots the region's volumes tagged `tagValue` on `schedule`. */
export function snapshotPolicy(
  name: string,
  schedule: Required<SnapshotSchedule>,
  tagValue: string,
  role: aws.iam.Role,
  options: pulumi.CustomResourceOptions,
): aws.dlm.LifecyclePolicy {
  return new aws.dlm.LifecyclePolicy(
    name,
    {
      description: `nats-global snapshots of ${name}`,
      executionRoleArn: role.arn,
      state: "ENABLED",
      policyDetails: {
        resourceTypes: ["VOLUME"],
        targetTags: { [SNAPSHOT_TAG]: tagValue },
        schedules: [
          {
            name: `every ${schedule.everyHours} h kept ${schedule.keepDays} days`,
            createRule: { interval: schedule.everyHours, intervalUnit: "HOURS" },
            retainRule: { interval: schedule.keepDays, intervalUnit: "DAYS" },
            // Each snapshot names its server and volume as the volume does.
            copyTags: true,
          },
        ],
      },
      tags: { Name: name },
    },
    options,
  );
}
