/*
 * What a region on GCP needs, and its checks. Pure: loaded without @pulumi/gcp.
 */
import type * as pulumi from "@pulumi/pulumi";
import { ProblemList } from "../../model/validation";
import { checkCloudRegion, CloudNaming, VmRegionArgs } from "../vm/args";
import { subnetProblem } from "../vm/network";

export interface GcpRegionArgs extends VmRegionArgs {
  /** The GCP region, e.g. "us-central1". */
  region: string;
  /** The project (default: the provider's, from `gcloud` or GOOGLE_PROJECT). */
  project?: string;
  /** A `gcp.Provider`; else the default provider (credentials from the environment). */
  provider?: pulumi.ProviderResource;
  /** Default "e2-standard-2" (2 vCPU, 8 GiB). */
  machineType?: string;
  /** Default "ubuntu-os-cloud/ubuntu-2404-lts-amd64". */
  image?: string;
  /** A Cloud DNS managed zone: an A record per server, at its `host`, to its static address. */
  dnsZone?: string;
  /**
   * A network of yours instead of the one made for all GCP regions: the network and the region's
   * subnetwork (names or self links), with the subnetwork's CIDR, from which each server gets a
   * fixed address.
   */
  network?: { network: string; subnetwork: string; cidr: string };
}

export interface GcpRegion {
  name: string;
  platform?: string;
  zones?: string[];
  gcp?: GcpRegionArgs;
}

const GCP_NAMING: CloudNaming = {
  platform: "gcp",
  exampleRegion: "us-central1",
  region: /^[a-z]+-[a-z]+\d+$/,
  zone: (region, letter) => `${region}-${letter}`,
};

/** Adds a problem for each bad field of a GCP region `at` its path; `servers` are the servers it hosts. */
export function checkGcpRegion(
  region: GcpRegion,
  at: string,
  servers: string[],
  problems: ProblemList,
): void {
  checkCloudRegion(region, region.gcp, at, servers, GCP_NAMING, problems);
  const network = region.gcp?.network;
  if (network === undefined) return;
  for (const field of ["network", "subnetwork"] as const) {
    if (typeof network[field] !== "string" || network[field].length === 0) {
      problems.add(`${at}.gcp.network.${field}`, `give the ${field}'s name or self link`);
    }
  }
  problems.check(`${at}.gcp.network.cidr`, subnetProblem(network.cidr, servers.length));
}
