/*
 * Scheduled snapshots of the servers' disks on GCP: per region a snapshot schedule (a resource
 * policy), attached to each of the region's disks; snapshots outlive their disk.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { SnapshotSchedule } from "../vm/args";
import { SNAPSHOT_LABEL } from "./naming";

/** The region's schedule: hourly within a day, or daily (GCP's daily schedule is every day). */
export function snapshotSchedulePolicy(
  name: string,
  region: string,
  superCluster: string,
  schedule: Required<SnapshotSchedule>,
  project: { project?: string },
  options: pulumi.CustomResourceOptions,
): gcp.compute.ResourcePolicy {
  // Start times must fall on the hour (the provider's ValidateHourlyOnly); midnight UTC suits both.
  const start = { startTime: "00:00" };
  return new gcp.compute.ResourcePolicy(
    name,
    {
      region,
      description: `nats-global: snapshots of the disks of ${superCluster}`,
      snapshotSchedulePolicy: {
        schedule:
          schedule.everyHours === 24
            ? { dailySchedule: { daysInCycle: 1, ...start } }
            : { hourlySchedule: { hoursInCycle: schedule.everyHours, ...start } },
        retentionPolicy: {
          maxRetentionDays: schedule.keepDays,
          onSourceDiskDelete: "KEEP_AUTO_SNAPSHOTS",
        },
        snapshotProperties: { labels: { [SNAPSHOT_LABEL]: superCluster } },
      },
      ...project,
    },
    options,
  );
}

/** Puts `disk` on the region's schedule (an attachment is replaced, never changed, on GCP). */
export function attachSnapshots(
  name: string,
  disk: gcp.compute.Disk,
  policy: gcp.compute.ResourcePolicy,
  project: { project?: string },
  options: pulumi.CustomResourceOptions,
): gcp.compute.DiskResourcePolicyAttachment {
  return new gcp.compute.DiskResourcePolicyAttachment(
    name,
    { disk: disk.name, zone: disk.zone, name: policy.name, ...project },
    options,
  );
}
