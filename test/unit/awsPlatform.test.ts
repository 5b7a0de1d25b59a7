import { NatsServerConfig } from "../../components/model/serverConfig";
import { SECRET } from "../../scripts/mockPreview";
import { filesOfBootScript, scriptOfUserData } from "../support/bootScripts";
import { recordingMocks } from "../support/mocks";
import { PREVIEW_TIMEOUT_MS, previewStack, StackPreview } from "../support/stackPreview";
import { ofKind, revealed } from "../support/kubernetesTopology";
import { SuperCluster } from "../../components/superCluster";
import { RegionArgs } from "../../components/platforms/checks";

const REGIONS = [
  { name: "west", aws: "us-west-2" },
  { name: "central", aws: "us-east-2" },
  { name: "east", aws: "us-east-1" },
];
const SERVERS = [
  ...REGIONS.flatMap((r) => [1, 2, 3].map((k) => `${r.name}-${k}`)),
  "stretch-1",
  "stretch-2",
  "stretch-3",
];
const regionOf = (server: string) =>
  server.startsWith("stretch-") ? REGIONS[Number(server.slice(-1)) - 1].name : server.split("-")[0];
const host = (server: string) => `${server}.${regionOf(server)}.nats.example.com`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inputs = Record<string, any>;

describe("the aws stack (stacks/Pulumi.aws.yaml) under mocks", () => {
  let preview: StackPreview;
  const of = (kind: string) => ofKind(preview.resources, kind);
  const byServer = (kind: string, server: string) => {
    const found = of(kind).filter((r) => r.name.endsWith(`-${server}`) || r.name.includes(`-${server}-`));
    expect(found).toHaveLength(1);
    return found[0].inputs as Inputs;
  };
  /** Each server's boot script, from its instance's user data. */
  const scriptOf = (server: string) =>
    scriptOfUserData(revealed(byServer("aws:ec2/instance:Instance", server).userDataBase64) as string);
  const configOf = (server: string) =>
    JSON.parse(filesOfBootScript(scriptOf(server)).get("/etc/nats/nats.conf") as string) as NatsServerConfig;

  beforeAll(() => {
    preview = previewStack("aws");
  }, PREVIEW_TIMEOUT_MS);

  it("makes per region a VPC, a subnet per zone and one security group; per server an instance, a volume, an Elastic IP and a DNS name", () => {
    expect(of("pulumi:providers:aws").map((p) => p.inputs.region)).toEqual(REGIONS.map((r) => r.aws));
    expect(of("aws:ec2/vpc:Vpc").map((v) => v.inputs.cidrBlock)).toEqual([
      "10.10.0.0/16",
      "10.11.0.0/16",
      "10.12.0.0/16",
    ]);
    expect(of("aws:ec2/subnet:Subnet")).toHaveLength(9);
    expect(of("aws:ec2/securityGroup:SecurityGroup")).toHaveLength(3);
    for (const kind of [
      "aws:ec2/instance:Instance",
      "aws:ebs/volume:Volume",
      "aws:ec2/volumeAttachment:VolumeAttachment",
      "aws:ec2/eip:Eip",
      "aws:ec2/eipAssociation:EipAssociation",
      "aws:route53/record:Record",
    ]) {
      expect({ kind, count: of(kind).length }).toEqual({ kind, count: 12 });
    }
    for (const server of SERVERS) {
      expect(byServer("aws:route53/record:Record", server)).toMatchObject({
        name: host(server),
        type: "A",
      });
    }
  });

  it("puts each server in its planned zone and private address, with an encrypted gp3 volume there, replaced (not stopped) when its boot script changes", () => {
    for (const server of SERVERS) {
      const instance = byServer("aws:ec2/instance:Instance", server);
      const volume = of("aws:ebs/volume:Volume").find((v) => v.name.endsWith(`-${server}-data`))
        ?.inputs as Inputs;
      const config = configOf(server);
      const zone = config.server_tags.find((t) => t.startsWith("az:"))?.slice(3);
      const subnet = of("aws:ec2/subnet:Subnet").find((s) => s.name.endsWith(`-${zone}`))?.inputs as Inputs;
      expect(volume).toMatchObject({ availabilityZone: zone, type: "gp3", encrypted: true, size: 50 });
      expect(subnet.availabilityZone).toBe(zone);
      // The private address lies in its zone's subnet: 10.<region>.<zone>.x in 10.<region>.<zone>.0/24.
      expect(instance.privateIp.split(".").slice(0, 3).join(".")).toBe(
        subnet.cidrBlock.split(".").slice(0, 3).join("."),
      );
      expect(instance.userDataReplaceOnChange).toBe(true);
      expect(Object.keys(instance.userDataBase64)).toEqual([SECRET]);
      expect(instance.metadataOptions).toEqual({ httpTokens: "required" });
      expect(scriptOf(server)).toContain("/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_");
    }
  });

  it("advertises public names across regions and private addresses within a regional cluster", () => {
    for (const server of SERVERS) {
      const config = configOf(server);
      const privateIp = byServer("aws:ec2/instance:Instance", server).privateIp;
      expect(config.client_advertise).toBe(`${host(server)}:4222`);
      expect(config.gateway.advertise).toBe(`${host(server)}:7222`);
      expect(config.cluster.advertise).toBe(
        `${server.startsWith("stretch-") ? host(server) : privateIp}:6222`,
      );
      for (const gateway of config.gateway.gateways) {
        const members = SERVERS.filter((s) => s.startsWith(`${gateway.name}-`));
        expect(gateway.urls).toEqual(members.map((s) => `nats://${host(s)}:7222`));
      }
      expect(config.lame_duck_duration).toBe("30s");
    }
  });

  it("opens each port only to what needs it: routes to the region and the servers' Elastic IPs, gateways to those IPs alone", () => {
    const [west] = of("aws:ec2/securityGroup:SecurityGroup");
    const rules = new Map(
      (west.inputs.ingress as Inputs[]).map((r) => [r.fromPort, r.cidrBlocks as string[]]),
    );
    expect(rules.get(4222)).toEqual(["0.0.0.0/0"]);
    expect(rules.get(8222)).toEqual(["10.10.0.0/16"]);
    expect(rules.get(22)).toBeUndefined();
    const gateways = rules.get(7222) as string[];
    expect(gateways).toHaveLength(12);
    for (const cidr of gateways) expect(cidr).toMatch(/^198\.51\.\d+\.\d+\/32$/);
    expect(rules.get(6222)).toEqual(["10.10.0.0/16", ...gateways]);
  });

  it("reports the public names as client URLs", () => {
    expect(preview.outputs.clusters.west.clientUrls).toEqual(
      ["west-1", "west-2", "west-3"].map((s) => `nats://${host(s)}:4222`),
    );
  });
});

describe("aws input checked at preview", () => {
  const mocks = recordingMocks();
  const regions = (): RegionArgs[] =>
    REGIONS.map((r) => ({
      name: r.name,
      platform: "aws",
      zones: ["a", "b", "c"].map((z) => `${r.aws}${z}`),
      aws: { region: r.aws, host: `{server}.${r.name}.nats.example.com` },
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
      "a client CIDR that is not one",
      (r: RegionArgs[]) => (r[0].aws!.clientCidrs = ["10.0.0.0/33"]),
      "regions[0].aws.clientCidrs[0]",
    ],
    ["no aws args at all", (r: RegionArgs[]) => delete r[1].aws, "regions[1].aws"],
  ])("refuses %s, naming the field", (_, mutate, field) => {
    expect(refusal(mutate)).toContain(`${field}:`);
    expect(mocks.registered.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
  });
});
