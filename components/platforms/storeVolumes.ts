/*
 * How large each server's JetStream volume is, by the platform its region runs on: what its file
 * store limit is derived from and checked against. Pure.
 */
import type { RegionArgs } from "./checks";
import { K8S_DEFAULTS, quantityBytes } from "./kubernetes/args";
import { VM_DEFAULTS } from "./vm/args";

const GiB = 1024 ** 3;

/** The bytes of each store volume of `region`'s servers; undefined where they have none (local). */
export function storeVolumeBytes(region: RegionArgs | undefined): number | undefined {
  switch (region?.platform) {
    case "aws":
    case "gcp":
      return (region[region.platform]?.volumeSize ?? VM_DEFAULTS.volumeSize) * GiB;
    case "k8s":
      return quantityBytes(region.k8s?.storage?.size ?? K8S_DEFAULTS.storageSize);
    default:
      return undefined;
  }
}
