import { ofKind } from "../support/stackPreview";
import { expectVmConfigsAccepted } from "../support/configCheck";
import { vmConfigsOf } from "../support/bootScripts";
import { PREVIEW_TIMEOUT_MS, previewConfig, StackPreview } from "../support/stackPreview";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inputs = Record<string, any>;

/** West in a VPC of the user's on AWS, central and east in a network of the user's on GCP. */
const CONFIG = {
  regions: [
    {
      name: "west",
      platform: "aws",
      zones: ["us-west-2a", "us-west-2b", "us-west-2c"],
      aws: {
        region: "us-west-2",
        ami: "ami-0123456789abcdef0",
        host: "{server}.west.nats.example.com",
        network: {
          vpcId: "vpc-0given",
          subnets: {
            "us-west-2a": { id: "subnet-0a", cidr: "172.31.0.0/20" },
            "us-west-2b": { id: "subnet-0b", cidr: "172.31.16.0/20" },
            "us-west-2c": { id: "subnet-0c", cidr: "172.31.32.0/20" },
          },
        },
      },
    },
    ...[
      ["central", "us-central1", "10.128.0.0/20"],
      ["east", "us-east4", "10.150.0.0/20"],
    ].map(([name, region, cidr]) => ({
      name,
      platform: "gcp",
      zones: ["a", "b", "c"].map((z) => `${region}-${z}`),
      gcp: {
        region,
        image: "projects/ubuntu-os-cloud/global/images/ubuntu-2404-noble-amd64-v20251201",
        host: `{server}.${name}.nats.example.com`,
        network: { network: "corp", subnetwork: `corp-${region}`, cidr },
      },
    })),
  ],
  stretch: { regions: ["west", "central", "east"] },
};

describe("networks the user gives (a VPC and its subnets, a GCP network and subnetworks)", () => {
  let preview: StackPreview;
  const of = (kind: string) => ofKind(preview.resources, kind);
  beforeAll(() => {
    preview = previewConfig("test-given-networks", CONFIG);
  }, PREVIEW_TIMEOUT_MS);

  it("creates no network of its own, only the firewall, in the user's VPC and network", () => {
    for (const kind of [
      "aws:ec2/vpc:Vpc",
      "aws:ec2/subnet:Subnet",
      "aws:ec2/internetGateway:InternetGateway",
      "gcp:compute/network:Network",
      "gcp:compute/subnetwork:Subnetwork",
    ]) {
      expect({ kind, count: of(kind).length }).toEqual({ kind, count: 0 });
    }
    expect(of("aws:ec2/securityGroup:SecurityGroup").map((g) => g.inputs.vpcId)).toEqual(["vpc-0given"]);
    for (const rule of of("gcp:compute/firewall:Firewall")) expect(rule.inputs.network).toBe("corp");
  });

  it("puts each server in the given subnet of its zone, at a fixed address inside it", () => {
    const subnetOf: Record<string, string> = {
      "us-west-2a": "subnet-0a",
      "us-west-2b": "subnet-0b",
      "us-west-2c": "subnet-0c",
    };
    const configs = vmConfigsOf(preview.resources);
    for (const instance of of("aws:ec2/instance:Instance")) {
      const server = instance.name.replace(/^nats-\w+-aws-/, "");
      const zone = configs
        .get(server)
        ?.server_tags.find((t) => t.startsWith("az:"))
        ?.slice(3) as string;
      expect({ server, subnet: instance.inputs.subnetId }).toEqual({ server, subnet: subnetOf[zone] });
      expect(instance.inputs.privateIp).toMatch(/^172\.31\.(0|16|32)\.1\d$/);
    }
    for (const instance of of("gcp:compute/instance:Instance")) {
      const [nic] = instance.inputs.networkInterfaces as Inputs[];
      expect(nic.subnetwork).toMatch(/^corp-us-(central1|east4)$/);
      expect(nic.networkIp).toMatch(/^10\.(128|150)\.0\.1\d$/);
    }
    const [west] = of("aws:ec2/securityGroup:SecurityGroup");
    const monitoring = (west.inputs.ingress as Inputs[]).find((r) => r.fromPort === 8222);
    expect(monitoring?.cidrBlocks).toEqual(["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"]);
  });

  it("writes configs that pass nats-server -t", async () => {
    await expectVmConfigsAccepted(preview.resources);
  }, 60_000);
});
