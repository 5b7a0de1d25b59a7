/*
 * What every VM platform (AWS, GCP) asks of a region, and its checks. Pure.
 */
import { ProblemList } from "../../model/validation";
import { checkPublicHosts, PublicHosts } from "../publicHosts";

export interface VmRegionArgs {
  /**
   * The DNS name (or static IP) each server is reached at from outside: a template with `{server}`,
   * or an address per server name. Prefer DNS names: clients check them against the certificates.
   */
  host: PublicHosts;
  /** The JetStream volume of each server, in GiB (default 50). It outlives the machine. */
  volumeSize?: number;
  /**
   * Whether each server's volume stays in the cloud when Pulumi deletes it (the stack destroyed, a
   * server removed, a volume replaced): by default it does, since it may hold the only copy of what
   * its streams stored. `false` deletes it with its server.
   */
  retainVolumes?: boolean;
  /**
   * Snapshots of each server's volume on a schedule: by Data Lifecycle Manager on AWS, a snapshot
   * schedule on GCP. Default every 24 hours, each kept 7 days; `false` for none.
   */
  snapshots?: SnapshotSchedule | false;
  /** Who may reach the client port (default everyone: TLS and credentials still apply). */
  clientCidrs?: string[];
  /** Who may reach the monitoring port and SSH (default: only the region's own network). */
  adminCidrs?: string[];
  /**
   * How often each server's machine checks its secret for a new config or certificates, in seconds
   * (default 60, 5 to 300; each check is one call to the secret store, which your cloud bills).
   */
  filesPollSeconds?: number;
}

export interface SnapshotSchedule {
  /** Hours between two snapshots: 1, 2, 3, 4, 6, 8, 12 or 24 (what both clouds' schedules take). */
  everyHours?: number;
  /** Days each snapshot is kept, 1 to 365. */
  keepDays?: number;
}

export const VM_DEFAULTS = {
  volumeSize: 50,
  clientCidrs: ["0.0.0.0/0"],
  snapshots: { everyHours: 24, keepDays: 7 } as Required<SnapshotSchedule>,
};

/** The hours a snapshot schedule may repeat at (DLM's create_rule.interval; GCP takes them too). */
export const SNAPSHOT_HOURS = [1, 2, 3, 4, 6, 8, 12, 24];
const MAX_KEEP_DAYS = 365;

/** The schedule of a region's snapshots, with defaults; undefined for none. */
export function snapshotSchedule(args: VmRegionArgs): Required<SnapshotSchedule> | undefined {
  if (args.snapshots === false) return undefined;
  return { ...VM_DEFAULTS.snapshots, ...(args.snapshots ?? {}) };
}
/** Longer, and a server might not take new files before the rolling gate gives up on it. */
const MAX_FILES_POLL_SECONDS = 300;

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function cidrProblem(cidr: unknown): string | undefined {
  const match = typeof cidr === "string" ? CIDR.exec(cidr) : null;
  if (match === null || match.slice(1, 5).some((o) => Number(o) > 255) || Number(match[5]) > 32) {
    return `${JSON.stringify(cidr)} is not an IPv4 CIDR such as 203.0.113.0/24`;
  }
  return undefined;
}

/** Adds a problem for each bad field common to VM regions, `at` the platform's args (`regions[i].aws`). */
export function checkVmRegion(
  args: VmRegionArgs,
  at: string,
  servers: string[],
  problems: ProblemList,
): void {
  checkPublicHosts(args.host, `${at}.host`, servers, problems);
  if (args.volumeSize !== undefined && !(Number.isInteger(args.volumeSize) && args.volumeSize >= 10)) {
    problems.add(
      `${at}.volumeSize`,
      `must be a whole number of GiB, at least 10 (got ${JSON.stringify(args.volumeSize)})`,
    );
  }
  const poll = args.filesPollSeconds;
  if (poll !== undefined && !(Number.isInteger(poll) && poll >= 5 && poll <= MAX_FILES_POLL_SECONDS)) {
    problems.add(
      `${at}.filesPollSeconds`,
      `must be a whole number of seconds from 5 to ${MAX_FILES_POLL_SECONDS} (got ${JSON.stringify(poll)}): ` +
        "each server of a change waits for the one before it to take its files, for 15 minutes at most",
    );
  }
  checkSnapshots(args, at, problems);
  if (args.retainVolumes !== undefined && typeof args.retainVolumes !== "boolean") {
    problems.add(`${at}.retainVolumes`, `must be true or false (got ${JSON.stringify(args.retainVolumes)})`);
  }
  for (const field of ["clientCidrs", "adminCidrs"] as const) {
    (args[field] ?? []).forEach((cidr, j) => problems.check(`${at}.${field}[${j}]`, cidrProblem(cidr)));
  }
}

function checkSnapshots(args: VmRegionArgs, at: string, problems: ProblemList): void {
  const given: unknown = args.snapshots;
  if (given === undefined || given === false) return;
  if (typeof given !== "object" || given === null) {
    problems.add(
      `${at}.snapshots`,
      `must be { everyHours, keepDays } or false (got ${JSON.stringify(given)})`,
    );
    return;
  }
  const { everyHours, keepDays } = given as SnapshotSchedule;
  if (everyHours !== undefined && !SNAPSHOT_HOURS.includes(everyHours)) {
    problems.add(
      `${at}.snapshots.everyHours`,
      `must be one of ${SNAPSHOT_HOURS.join(", ")} (got ${JSON.stringify(everyHours)})`,
    );
  }
  if (keepDays !== undefined && !(Number.isInteger(keepDays) && keepDays >= 1 && keepDays <= MAX_KEEP_DAYS)) {
    problems.add(
      `${at}.snapshots.keepDays`,
      `must be a whole number of days from 1 to ${MAX_KEEP_DAYS} (got ${JSON.stringify(keepDays)})`,
    );
  }
}

/** How a cloud names its regions and zones, for the checks and their messages. */
export interface CloudNaming<ImageField extends string> {
  platform: string;
  /** e.g. "us-west-2" */
  exampleRegion: string;
  region: RegExp;
  /** A zone of `region`, e.g. "us-west-2a" */
  zone: (region: string, letter: string) => string;
  /**
   * The field that pins the servers' image (a new one replaces them, one at a time): its form, an
   * example, and how to look up the current one.
   */
  image: { field: ImageField; form: RegExp; example: string; lookup: (region: string) => string };
}

/**
 * Adds a problem for each bad field of a region on a VM cloud `at` its path (`regions[i]`): its
 * cloud region, its zones (which must be that region's), and what every VM region needs.
 */
export function checkCloudRegion<ImageField extends string>(
  region: { zones?: string[] },
  args: (VmRegionArgs & { region: string } & Record<ImageField, string>) | undefined,
  at: string,
  servers: string[],
  naming: CloudNaming<ImageField>,
  problems: ProblemList,
): void {
  const field = `${at}.${naming.platform}`;
  if (args === undefined) {
    problems.add(
      field,
      `a region on ${naming.platform} needs ${naming.platform}.region (e.g. "${naming.exampleRegion}") and ${naming.platform}.host`,
    );
    return;
  }
  const regionOk = typeof args.region === "string" && naming.region.test(args.region);
  if (!regionOk) {
    problems.add(
      `${field}.region`,
      `${JSON.stringify(args.region)} is not a ${naming.platform} region name such as "${naming.exampleRegion}"`,
    );
  }
  const example = ["a", "b", "c"].map((letter) =>
    naming.zone(regionOk ? args.region : naming.exampleRegion, letter),
  );
  if (region.zones === undefined) {
    problems.add(`${at}.zones`, `name the region's zones, e.g. ${JSON.stringify(example)}`);
  } else if (regionOk) {
    region.zones.forEach((zone, j) => {
      const letter = zone.slice(-1);
      if (zone !== naming.zone(args.region, letter) || !/[a-z]/.test(letter)) {
        problems.add(
          `${at}.zones[${j}]`,
          `"${zone}" is not a zone of ${args.region} (such as ${example[0]})`,
        );
      }
    });
  }
  // Typed as required, but a program in plain JavaScript (or a config value) may leave it out.
  const image: unknown = args[naming.image.field];
  if (image === undefined || !(typeof image === "string" && naming.image.form.test(image))) {
    const lookup = naming.image.lookup(regionOk ? args.region : naming.exampleRegion);
    problems.add(
      `${field}.${naming.image.field}`,
      `${image === undefined ? "pin the servers' image" : `${JSON.stringify(image)} is not an image such as "${naming.image.example}"`}: ` +
        `an image of its own per stack, changed only on purpose, since a new one replaces every server ` +
        `(one at a time). The current Ubuntu 24.04 LTS: ${lookup}`,
    );
  }
  checkVmRegion(args, field, servers, problems);
}
