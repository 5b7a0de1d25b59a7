/*
 * What a VM cloud (AWS, GCP) does for the VM driver (vmPlatform.ts): the few things that differ
 * between clouds. The driver plans the networks and addresses, renders each server's files and boot
 * script, orders the servers and reports them; the cloud makes the resources.
 */
import * as pulumi from "@pulumi/pulumi";
import { ServerPlan } from "../../model/plan";
import { FilesAgentSettings } from "./filesAgent";
import { VmRegionArgs } from "./args";
import { VmNetworkPlan } from "./network";
import { ServerFileBundle } from "./serverFiles";

/** A region on a VM cloud, with the args that placed it. */
export interface VmRegionPlan<A extends VmRegionArgs> {
  /** The region's name in the super-cluster. */
  name: string;
  args: A;
  zones: string[];
  /** Second octet of the region's 10.x.0.0/16. */
  octet: number;
}

/** A server's static public address, reserved before any server exists. */
export interface ReservedAddress {
  ip: pulumi.Output<string>;
}

/** One server, as the driver hands it to the cloud. */
export interface VmServer<A extends VmRegionArgs, Infra, Address extends ReservedAddress> {
  server: ServerPlan;
  /** What the server's resources are named from: its cluster's component name, then the server. */
  name: string;
  region: VmRegionPlan<A>;
  /** What the region's servers share (network, firewall, snapshot schedule). */
  infra: Infra;
  network: VmNetworkPlan;
  address: Address;
  /** Parent (the cluster's component) and the region's provider. */
  options: pulumi.CustomResourceOptions;
  /** The server before this one in its cluster, caught up: what its new files and machine wait for. */
  after: pulumi.Resource[];
}

/** The secret that holds a server's files, and what may read it. */
export interface VmIdentity {
  /** Where the machine's files agent fetches the bundle. */
  source: pulumi.Output<FilesAgentSettings["source"]>;
  /** The current files: a new version when they change. */
  version: pulumi.Resource;
  /** What lets the machine read them (role policy, secret binding): the machine waits for it. */
  grants: pulumi.Resource[];
  /** The machine's identity, for the instance (an instance profile's name, a service account). */
  machineIdentity: pulumi.Output<string>;
}

/** A server's data volume: the device it appears as on its machine. */
export interface VmDisk {
  resource: pulumi.CustomResource;
  device: pulumi.Input<string>;
}

/** A server's machine once made: what the rolling gate watches. */
export interface VmMachine {
  id: pulumi.Output<string>;
  /** Changes when the server restarts: a new instance, or a new type by stop and start. */
  incarnation: pulumi.Output<string>;
  /** What must exist before the server is reached (its address bound, its volume attached). */
  ready: pulumi.Resource[];
}

export interface VmCloud<A extends VmRegionArgs, Infra, Address extends ReservedAddress> {
  readonly platform: "aws" | "gcp";
  /** The Pulumi name of a cluster's servers on this cloud. */
  clusterName(cluster: string): string;
  /** The subnets of a network the user gives for the region, instead of the platform's own. */
  givenNetwork(args: A): { cidr: string; subnetOf: (zone: string) => string } | undefined;
  /** The server's static public address, reserved before any server so that firewalls can name it. */
  reserveAddress(server: ServerPlan, region: VmRegionPlan<A>): Address;
  /** The region's network, firewall and snapshot schedule, once for all its clusters. */
  regionInfra(
    region: VmRegionPlan<A>,
    network: VmNetworkPlan,
    peers: pulumi.Output<string[]> | undefined,
  ): Infra;
  /** Parent and provider of a region's resources, under `parent`. */
  options(region: VmRegionPlan<A>, parent: pulumi.Resource): pulumi.CustomResourceOptions;
  disk(vm: VmServer<A, Infra, Address>): VmDisk;
  identity(vm: VmServer<A, Infra, Address>, files: pulumi.Output<ServerFileBundle>): VmIdentity;
  /** The instance that runs `script`, with its disk and address bound to it. */
  instance(
    vm: VmServer<A, Infra, Address>,
    parts: { script: pulumi.Output<string>; disk: VmDisk; identity: VmIdentity },
  ): VmMachine;
  /** The DNS record of the server's public name, where the region names a DNS zone. */
  dnsRecord(vm: VmServer<A, Infra, Address>): pulumi.Resource | undefined;
}
