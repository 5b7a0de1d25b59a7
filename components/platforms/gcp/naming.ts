/*
 * The names the gcp platform gives what it creates, from the super-cluster's name, its regions and
 * servers: one home, so that the preview-time checks judge exactly the names the resources get.
 * Pure.
 */
import { createHash } from "crypto";
import { ServerPlan } from "../../model/plan";
import { publicHost } from "../publicHosts";
import { snapshotSchedule } from "../vm/args";
import { FIREWALL_RULE_NAMES } from "../vm/firewall";
import type { GcpRegionArgs } from "./args";
import { GcpValueKind } from "./constraints";

/**
 * The Pulumi names of a super-cluster's GCP resources (pulumi-gcp names most after them), and the
 * ids of what GCP does not name at random (secrets, service accounts): those are unique per project,
 * so they carry `scope`, a short digest of the stack and the super-cluster.
 */
export function gcpNames(superCluster: string, stack: string) {
  const cluster = (name: string) => `${superCluster}-${name}-gcp`;
  const scope = `ng${createHash("sha256").update(`${stack}/${superCluster}`).digest("hex").slice(0, 6)}`;
  return {
    network: `${superCluster}-network`,
    subnetwork: (region: string) => `${superCluster}-${region}`,
    firewall: (region: string, rule: string) => `${superCluster}-${region}-${rule}`,
    /** The network tag of a region's servers, which its firewall rules target. */
    tag: (region: string) => `${superCluster}-${region}-nats`,
    address: (server: string) => `${superCluster}-${server}-ip`,
    /** The snapshot schedule of a region's disks. */
    snapshots: (region: string) => `${superCluster}-${region}-snapshots`,
    /** The component of one cluster's servers on GCP. */
    cluster,
    disk: (clusterName: string, server: string) => `${cluster(clusterName)}-${server}-data`,
    instance: (clusterName: string, server: string) => `${cluster(clusterName)}-${server}`,
    record: (clusterName: string, server: string) => `${cluster(clusterName)}-${server}-dns`,
    /** A disk's place on its region's snapshot schedule. */
    snapshotAttachment: (clusterName: string, server: string) =>
      `${cluster(clusterName)}-${server}-snapshots`,
    /** The Pulumi name of a server's secret, its version, account and binding all start with this. */
    identity: (clusterName: string, server: string) => `${cluster(clusterName)}-${server}-identity`,
    /** The secret that holds a server's config and certificates. */
    secretId: (server: string) => `${scope}-${server}-files`,
    /** The service account of a server's instance, which alone may read its secret. */
    accountId: (server: string) => `${scope}-${server}`,
  };
}

/** The instance label that names its server. */
export const SERVER_LABEL = "nats-global-server";
/** The label each snapshot carries, naming the super-cluster whose disk it copies. */
export const SNAPSHOT_LABEL = "nats-global-super-cluster";
/** The data disk's device name: it appears on the VM as /dev/disk/by-id/google-<name>. */
export const DATA_DISK = "nats-data";

/** A value the gcp platform will generate, the kind of rule it must keep, and the input it comes from. */
export interface GeneratedGcpValue {
  field: string;
  kind: GcpValueKind;
  value: string;
}

/**
 * Every name, tag, label and DNS name the gcp platform will generate for these regions, known at
 * preview: what the checks hold to GCP_CONSTRAINTS.
 */
export function generatedGcpValues(
  superCluster: string,
  stack: string,
  regions: { at: string; name: string; args: GcpRegionArgs }[],
  servers: ServerPlan[],
): GeneratedGcpValue[] {
  const names = gcpNames(superCluster, stack);
  const values: GeneratedGcpValue[] = [];
  const add = (field: string, kind: GcpValueKind, value: string) => values.push({ field, kind, value });
  if (regions.some((r) => r.args.network === undefined)) add("name", "autonamed", names.network);
  for (const { at, name, args } of regions) {
    const field = `${at}.name`;
    if (args.network === undefined) add(field, "autonamed", names.subnetwork(name));
    for (const rule of FIREWALL_RULE_NAMES) {
      if (rule !== "ssh" || args.adminCidrs !== undefined)
        add(field, "autonamed", names.firewall(name, rule));
    }
    add(field, "networkTag", names.tag(name));
    if (snapshotSchedule(args) !== undefined) {
      add(field, "autonamed", names.snapshots(name));
      add("name", "labelValue", superCluster);
    }
    for (const server of servers.filter((s) => s.region === name)) {
      add(field, "autonamed", names.address(server.name));
      add(field, "autonamed", names.disk(server.cluster, server.name));
      add(field, "autonamed", names.instance(server.cluster, server.name));
      add(field, "labelValue", server.name);
      add(field, "secretId", names.secretId(server.name));
      add(field, "serviceAccountId", names.accountId(server.name));
      if (args.dnsZone !== undefined)
        add(`${at}.gcp.host`, "recordSetName", `${publicHost(args.host, server.name)}.`);
    }
  }
  if (regions.length > 0) {
    add("name", "labelKey", SERVER_LABEL);
    add("name", "labelKey", SNAPSHOT_LABEL);
    add("name", "deviceName", DATA_DISK);
  }
  return values;
}
