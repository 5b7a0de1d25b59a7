import { StreamSpec } from "../../components/model/streamSpec";

const REGIONS = ["west", "central", "east"];

/** foo-write-west.json of the seed, for any region. */
export function seedWriteJson(region: string): Record<string, unknown> {
  return {
    name: `foo-write-${region}`,
    subjects: [`foo.${region}.>`],
    retention: "limits",
    max_consumers: -1,
    max_msgs_per_subject: -1,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 3600000000000,
    max_msg_size: -1,
    storage: "file",
    discard: "old",
    num_replicas: 3,
    duplicate_window: 120000000000,
    placement: { cluster: region },
    sealed: false,
    deny_delete: false,
    deny_purge: false,
    allow_rollup_hdrs: false,
    allow_direct: false,
    mirror_direct: false,
  };
}

/** foo-read-west.json of the seed, for any region: sources every write stream, drops the region token. */
export function seedReadJson(region: string): Record<string, unknown> {
  return {
    name: `foo-read-${region}`,
    retention: "limits",
    max_consumers: -1,
    max_msgs_per_subject: -1,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    max_msg_size: -1,
    storage: "file",
    discard: "old",
    num_replicas: 3,
    duplicate_window: 120000000000,
    placement: { cluster: region },
    subject_transform: { src: "foo.*.>", dest: "foo.>" },
    sources: [region, ...REGIONS.filter((r) => r !== region)].map((r) => ({
      name: `foo-write-${r}`,
      filter_subject: `foo.${r}.>`,
    })),
    sealed: false,
    deny_delete: false,
    deny_purge: false,
    allow_rollup_hdrs: false,
    allow_direct: false,
    mirror_direct: false,
  };
}

/** The same six streams as a user declares them with the Stream resource. */
export function seedStreamSpecs(): StreamSpec[] {
  const writes = REGIONS.map((region) => ({
    name: `foo-write-${region}`,
    subjects: [`foo.${region}.>`],
    maxAge: "1h",
    numReplicas: 3,
    placement: { cluster: region },
  }));
  const reads = REGIONS.map((region) => ({
    name: `foo-read-${region}`,
    numReplicas: 3,
    // Without subjects the server keeps no duplicate window unless asked; the seed asks for one.
    duplicateWindow: "2m",
    placement: { cluster: region },
    subjectTransform: { src: "foo.*.>", dest: "foo.>" },
    sources: [region, ...REGIONS.filter((r) => r !== region)].map((r) => ({
      name: `foo-write-${r}`,
      filterSubject: `foo.${r}.>`,
    })),
  }));
  return [...writes, ...reads];
}

export const SEED_REGIONS = REGIONS;
