import type { AwsRegionArgs } from "../../components/platforms/aws/args";
import { checkPlatforms } from "../../components/platforms/checks";
import { RegionArgs } from "../../components/platforms/registry";
import { rollingTimeoutMs } from "../../components/platforms/rollingTimeout";
import { planSuperCluster } from "../../components/model/plan";
import { SuperCluster } from "../../components/superCluster";
import { recordingMocks } from "../support/mocks";

const REGIONS = [
  { name: "west", aws: "us-west-2" },
  { name: "central", aws: "us-east-2" },
  { name: "east", aws: "us-east-1" },
];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inputs = Record<string, any>;

describe("aws input checked at preview", () => {
  it("refuses a file store limit larger than what the servers' volumes offer, naming both fields", () => {
    const spec = {
      regions: regions(),
      security: { mode: "operator" },
      jetstream: { maxFileStore: 46 * 1024 ** 3 },
    };
    expect(() => checkPlatforms(spec, planSuperCluster(spec), "nats", "test")).toThrow(
      /jetstream\.maxFileStore: 46\.0 GiB is more than JetStream may fill of region west's volumes \(45\.0 GiB: 90% of 50\.0 GiB[^)]*\): raise regions\[0\]\.aws\.volumeSize or lower jetstream\.maxFileStore/,
    );
    spec.regions.forEach((region) => (region.aws!.volumeSize = 60));
    expect(() => checkPlatforms(spec, planSuperCluster(spec), "nats", "test")).not.toThrow();
  });

  it("admits 28 servers under AWS's default quota of 60 rules per security group, and more with a raised quota", () => {
    const check = (servers: number[], quota?: number) => {
      const spec = {
        regions: regions().map((region, i) => ({
          ...region,
          servers: servers[i],
          aws: {
            ...(region.aws as AwsRegionArgs),
            ...(quota !== undefined ? { securityGroupRuleQuota: quota } : {}),
          },
        })),
        security: { mode: "operator" },
      };
      checkPlatforms(spec, planSuperCluster(spec), "nats", "test");
    };
    expect(() => check([10, 9, 9])).not.toThrow();
    expect(() => check([10, 10, 9])).toThrow(/security group needs 61 inbound rules, over 60/);
    expect(() => check([15, 15, 15], 120)).not.toThrow();
  });

  it("refuses names that would make an IAM role name over IAM's 64 characters, naming the region", () => {
    const spec = (name: string) => ({
      regions: regions().map((region, i) => (i === 0 ? { ...region, name } : region)),
      security: { mode: "operator" },
    });
    // nats-<region>-aws-<region>-<k> and the provider's "-" and 7 random characters: 64 exactly.
    const fits = "r".repeat(22);
    expect(() => checkPlatforms(spec(fits), planSuperCluster(spec(fits)), "nats", "test")).not.toThrow();
    const over = "r".repeat(23);
    expect(() => checkPlatforms(spec(over), planSuperCluster(spec(over)), "nats", "test")).toThrow(
      /regions\[0\]\.name: would make the IAM role name "nats-r{23}-aws-r{23}-\d-xxxxxxx", 66 characters, over IAM's 64/,
    );
  });

  const mocks = recordingMocks();
  const regions = (): RegionArgs[] =>
    REGIONS.map((r) => ({
      name: r.name,
      platform: "aws",
      zones: ["a", "b", "c"].map((z) => `${r.aws}${z}`),
      aws: { region: r.aws, ami: "ami-0123456789abcdef0", host: `{server}.${r.name}.nats.example.com` },
    }));
  const refusal = (mutate: (r: RegionArgs[]) => void): string => {
    const given = regions();
    mutate(given);
    try {
      new SuperCluster("nats", { regions: given, security: { mode: "operator" } });
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("expected a refusal");
  };

  it("waits as long for each server of a change as rollingTimeout says (default 15 min), within its bounds", () => {
    expect(rollingTimeoutMs(undefined)).toBe(15 * 60_000);
    expect(rollingTimeoutMs("1h30m")).toBe(90 * 60_000);
    const spec = (rollingTimeout: string) => ({
      regions: regions(),
      security: { mode: "operator" },
      rollingTimeout,
    });
    expect(() =>
      checkPlatforms(spec("1h30m"), planSuperCluster(spec("1h30m")), "nats", "test"),
    ).not.toThrow();
    for (const [given, problem] of [
      ["5m", "rollingTimeout: 5m is outside 10m to 24h"],
      ["soon", 'rollingTimeout: "soon" is not a duration'],
    ]) {
      expect(() => checkPlatforms(spec(given), planSuperCluster(spec(given)), "nats", "test")).toThrow(
        problem,
      );
    }
  });

  it.each([
    [
      "a region without its AWS region name",
      (r: RegionArgs[]) => delete (r[0].aws as Partial<Inputs>).region,
      "regions[0].aws.region",
    ],
    [
      "a zone of another region",
      (r: RegionArgs[]) => (r[1].zones = ["us-east-2a", "us-west-2b", "us-east-2c"]),
      "regions[1].zones[1]",
    ],
    ["no zones", (r: RegionArgs[]) => delete r[2].zones, "regions[2].zones"],
    [
      "one host for every server",
      (r: RegionArgs[]) => (r[0].aws!.host = "nats.example.com"),
      "regions[0].aws.host",
    ],
    ["a volume too small", (r: RegionArgs[]) => (r[0].aws!.volumeSize = 5), "regions[0].aws.volumeSize"],
    [
      "snapshots at an interval Data Lifecycle Manager does not take",
      (r: RegionArgs[]) => (r[0].aws!.snapshots = { everyHours: 5 }),
      "regions[0].aws.snapshots.everyHours",
    ],
    [
      "snapshots kept for no day",
      (r: RegionArgs[]) => (r[1].aws!.snapshots = { keepDays: 0 }),
      "regions[1].aws.snapshots.keepDays",
    ],
    [
      "a client CIDR that is not one",
      (r: RegionArgs[]) => (r[0].aws!.clientCidrs = ["10.0.0.0/33"]),
      "regions[0].aws.clientCidrs[0]",
    ],
    ["no aws args at all", (r: RegionArgs[]) => delete r[1].aws, "regions[1].aws"],
    ["no pinned image", (r: RegionArgs[]) => delete (r[0].aws as Partial<Inputs>).ami, "regions[0].aws.ami"],
    [
      "an image that is no AMI id",
      (r: RegionArgs[]) => (r[2].aws!.ami = "ubuntu-24.04"),
      "regions[2].aws.ami",
    ],
    [
      "a given VPC without a subnet for one of its zones",
      (r: RegionArgs[]) =>
        (r[0].aws!.network = {
          vpcId: "vpc-0given",
          subnets: {
            "us-west-2a": { id: "subnet-0a", cidr: "172.31.0.0/20" },
            "us-west-2b": { id: "subnet-0b", cidr: "172.31.16.0/20" },
          },
        }),
      "regions[0].aws.network.subnets",
    ],
    [
      "a given subnet too small for the region's servers",
      (r: RegionArgs[]) =>
        (r[0].aws!.network = {
          vpcId: "vpc-0given",
          subnets: Object.fromEntries(
            ["a", "b", "c"].map((z) => [
              `us-west-2${z}`,
              { id: `subnet-0${z}`, cidr: z === "c" ? "172.31.32.0/29" : "172.31.0.0/20" },
            ]),
          ),
        }),
      "regions[0].aws.network.subnets.us-west-2c.cidr",
    ],
    [
      "more servers than the security groups' rule quota admits (29: each public IP counts twice)",
      (r: RegionArgs[]) => r.forEach((region, i) => (region.servers = [10, 10, 9][i])),
      "regions[0].aws.securityGroupRuleQuota",
    ],
  ])("refuses %s, naming the field", (_, mutate, field) => {
    expect(refusal(mutate)).toContain(`${field}:`);
    expect(mocks.registered.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
  });
});
