/*
 * What a region on GCP needs, and its checks. Pure: loaded without @pulumi/gcp.
 */
import type * as pulumi from "@pulumi/pulumi";
import { ProblemList } from "../../model/validation";
import { checkCloudRegion, CloudNaming, VmRegionArgs } from "../vm/args";
import { subnetProblem } from "../vm/network";
import { ServerPlan } from "../../model/plan";
import { GCP_CONSTRAINTS, GcpValueKind } from "./constraints";
import { generatedGcpValues } from "./naming";

export interface GcpRegionArgs extends VmRegionArgs {
  /** The GCP region, e.g. "us-central1". */
  region: string;
  /** The project (default: the provider's, from `gcloud` or GOOGLE_PROJECT). */
  project?: string;
  /** A `gcp.Provider`; else the default provider (credentials from the environment). */
  provider?: pulumi.ProviderResource;
  /** Default "e2-standard-2" (2 vCPU, 8 GiB). */
  machineType?: string;
  /**
   * The servers' image, named exactly (`projects/<project>/global/images/<image>`, not a family,
   * which moves): an Ubuntu with systemd, e.g. 24.04 LTS. A new one replaces them one at a time.
   */
  image: string;
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

const GCP_NAMING: CloudNaming<"image"> = {
  platform: "gcp",
  exampleRegion: "us-central1",
  region: /^[a-z]+-[a-z]+\d+$/,
  zone: (region, letter) => `${region}-${letter}`,
  image: {
    field: "image",
    form: /^(https:\/\/www\.googleapis\.com\/compute\/v1\/)?projects\/[a-z][-a-z0-9]*\/global\/images\/[a-z]([-a-z0-9]*[a-z0-9])?$/,
    example: "projects/ubuntu-os-cloud/global/images/ubuntu-2404-noble-amd64-v20250130",
    lookup: () =>
      "gcloud compute images describe-from-family ubuntu-2404-lts-amd64 --project ubuntu-os-cloud --format 'value(selfLink)'",
  },
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

/**
 * Adds a problem for each name, tag, label or DNS name that the gcp platform would generate for
 * these regions and that GCP would refuse (GCP_CONSTRAINTS), naming the input it comes from.
 */
export function checkGcpNames(
  superCluster: string,
  stack: string,
  regions: { at: string; name: string; args: GcpRegionArgs }[],
  servers: ServerPlan[],
  problems: ProblemList,
): void {
  const refused = new Map<string, { kind: GcpValueKind; examples: { value: string; problem: string }[] }>();
  for (const { field, kind, value } of generatedGcpValues(superCluster, stack, regions, servers)) {
    const problem = GCP_CONSTRAINTS[kind].problem(value);
    if (problem === undefined) continue;
    const key = `${field} ${kind}`;
    const entry = refused.get(key) ?? { kind, examples: [] };
    entry.examples.push({ value, problem });
    refused.set(key, entry);
  }
  // One problem per input and kind of value, with the longest of the values it would break.
  for (const [key, { kind, examples }] of refused) {
    const worst = examples.reduce((a, b) => (b.value.length > a.value.length ? b : a));
    const more = examples.length > 1 ? ` and ${examples.length - 1} more like it` : "";
    problems.add(
      key.split(" ")[0],
      `would make the GCP ${GCP_CONSTRAINTS[kind].what} "${worst.value}"${more}, which is ${worst.problem}; ` +
        `GCP takes ${GCP_CONSTRAINTS[kind].rule}: shorten or rename it`,
    );
  }
}
