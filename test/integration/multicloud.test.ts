import { expectVmConfigsAccepted } from "../support/configCheck";
import { NatsServerConfig } from "../../components/model/serverConfig";
import { vmConfigsOf } from "../support/bootScripts";
import { ofKind } from "../support/stackPreview";
import { PREVIEW_TIMEOUT_MS, previewStack, StackPreview } from "../support/stackPreview";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inputs = Record<string, any>;
const CLOUD = { west: "aws", central: "gcp", east: "aws" } as Record<string, string>;

describe("the multicloud stack (stacks/Pulumi.multicloud.yaml) under mocks", () => {
  let preview: StackPreview;
  const of = (kind: string) => ofKind(preview.resources, kind);
  /** Every server's config, from its instance's boot script on either cloud. */
  const configs = () => [...vmConfigsOf(preview.resources).values()];

  beforeAll(() => {
    preview = previewStack("multicloud");
  }, PREVIEW_TIMEOUT_MS);

  it("runs west and east on AWS and central on GCP, the stretch cluster on both", () => {
    expect(ofKind(preview.resources, "nats-global:aws:Cluster").map((c) => c.name)).toEqual([
      "nats-west-aws",
      "nats-east-aws",
      "nats-stretch-aws",
    ]);
    expect(ofKind(preview.resources, "nats-global:gcp:Cluster").map((c) => c.name)).toEqual([
      "nats-central-gcp",
      "nats-stretch-gcp",
    ]);
    expect(of("aws:ec2/instance:Instance")).toHaveLength(8);
    expect(of("gcp:compute/instance:Instance")).toHaveLength(4);
    for (const config of configs()) {
      const region = config.server_tags.find((t) => t.startsWith("region:"))?.slice(7) as string;
      expect(config.server_tags).toContain(`cloud:${CLOUD[region]}`);
    }
  });

  it("admits, in each cloud's firewall, the gateways of the other cloud's servers by their static addresses", () => {
    const awsIps = of("aws:ec2/eip:Eip").map((e) => e.name);
    const gcpAddresses = of("gcp:compute/address:Address").map((a) => a.name);
    expect(awsIps.length + gcpAddresses.length).toBe(12);
    const [west] = of("aws:ec2/securityGroup:SecurityGroup");
    const gateway = (west.inputs.ingress as Inputs[]).find((r) => r.fromPort === 7222) as Inputs;
    const gcpGateways = of("gcp:compute/firewall:Firewall").find((f) => f.name.endsWith("-gateways"))
      ?.inputs as Inputs;
    // The same 12 addresses on both sides: 8 Elastic IPs and 4 GCP static addresses.
    expect(gateway.cidrBlocks).toHaveLength(12);
    expect([...gcpGateways.sourceRanges].sort()).toEqual([...gateway.cidrBlocks].sort());
  });

  it("points every server's gateways at every cluster's public names, and the stretch routes across both clouds", () => {
    const all = configs();
    for (const config of all) {
      expect(config.gateway.gateways.map((g) => g.name)).toEqual(["west", "central", "east", "stretch"]);
      for (const gateway of config.gateway.gateways) {
        for (const url of gateway.urls)
          expect(url).toMatch(/^nats:\/\/[a-z0-9-]+\.(west|central|east)\.nats\.example\.com:7222$/);
      }
    }
    const stretch = all.find((c) => c.server_name === "stretch-1") as NatsServerConfig;
    expect(stretch.cluster.routes).toEqual([
      "nats-route://stretch-1.west.nats.example.com:6222",
      "nats-route://stretch-2.central.nats.example.com:6222",
      "nats-route://stretch-3.east.nats.example.com:6222",
    ]);
  });

  it("writes configs that pass nats-server -t, with real operator JWTs and certificates for the names each server advertises", async () => {
    await expectVmConfigsAccepted(preview.resources);
  }, 60_000);
});
