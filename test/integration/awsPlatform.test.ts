import { publicName, SEED_SERVERS } from "../support/seedServers";
import { expectVmConfigsAccepted } from "../support/configCheck";
import { FILES_DIGEST_KEY } from "../../components/model/serverConfig";
import { SECRET } from "../../scripts/mockPreview";
import { agentSettingsOf, configOfBundle, scriptOfUserData, vmServerFilesOf } from "../support/bootScripts";
import { PREVIEW_TIMEOUT_MS, previewStack, StackPreview } from "../support/stackPreview";
import { ofKind, revealed } from "../support/stackPreview";

const SERVERS = SEED_SERVERS;
const host = publicName;
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
  const configOf = (server: string) => configOfBundle(vmServerFilesOf(preview.resources).get(server)!);

  beforeAll(() => {
    preview = previewStack("aws");
  }, PREVIEW_TIMEOUT_MS);

  it("makes per region a VPC, a subnet per zone and one security group; per server an instance, a volume, an Elastic IP and a DNS name", () => {
    expect(of("pulumi:providers:aws").map((p) => p.inputs.region)).toEqual([
      "us-west-2",
      "us-east-2",
      "us-east-1",
    ]);
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

  it("snapshots every volume daily by default, kept 7 days, through one Data Lifecycle Manager policy per region, in values its provider accepts", () => {
    const policies = of("aws:dlm/lifecyclePolicy:LifecyclePolicy");
    expect(policies.map((p) => p.name)).toEqual([
      "nats-west-snapshots",
      "nats-central-snapshots",
      "nats-east-snapshots",
    ]);
    // A role per region, which may be in an account of its own.
    for (const { name } of policies) {
      const [role] = of("aws:iam/role:Role").filter((r) => r.name === name);
      expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement).toEqual([
        { Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]);
      expect(
        of("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name === name),
      ).toMatchObject([
        {
          inputs: {
            role: `${name}-a1b2c3d`,
            policyArn: "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole",
          },
        },
      ]);
    }
    const volumeTags = of("aws:ebs/volume:Volume").map(
      (v) => (v.inputs as Inputs).tags["nats-global:snapshots"],
    );
    expect(new Set(volumeTags)).toEqual(new Set(["nats-global/aws/nats"]));
    for (const policy of policies) {
      const inputs = policy.inputs as Inputs;
      expect(inputs.executionRoleArn).toBe(`arn:aws:iam::123456789012:role/${policy.name}-a1b2c3d`);
      // terraform-provider-aws internal/service/dlm/lifecycle_policy.go: description
      // ^[0-9A-Za-z _-]+$ (1 to 500), schedule name up to 120, create_rule.interval one of
      // 1 2 3 4 6 8 12 24 in HOURS, retain_rule by age (count and interval exclude each other).
      expect(inputs.description).toMatch(/^[0-9A-Za-z _-]{1,500}$/);
      expect(inputs.state).toBe("ENABLED");
      const details = inputs.policyDetails;
      expect(details.resourceTypes).toEqual(["VOLUME"]);
      expect(details.targetTags).toEqual({ "nats-global:snapshots": "nats-global/aws/nats" });
      expect(details.schedules).toHaveLength(1);
      const [schedule] = details.schedules;
      expect(schedule.name.length).toBeLessThanOrEqual(120);
      expect(schedule.createRule).toEqual({ interval: 24, intervalUnit: "HOURS" });
      expect(schedule.retainRule).toEqual({ interval: 7, intervalUnit: "DAYS" });
      expect(schedule.copyTags).toBe(true);
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
      // JetStream may fill what the volume offers, less the file system's share: 90% of 50 GiB.
      expect(config.jetstream.max_file_store).toBe(Math.floor(50 * 1024 ** 3 * 0.9));
      // Detached only once the instance is stopped, never under a mounted JetStream store.
      expect(byServer("aws:ec2/volumeAttachment:VolumeAttachment", server)).toMatchObject({
        deviceName: "/dev/sdf",
        stopInstanceBeforeDetaching: true,
      });
      expect(subnet.availabilityZone).toBe(zone);
      // The private address lies in its zone's subnet: 10.<region>.<zone>.x in 10.<region>.<zone>.0/24.
      expect(instance.privateIp.split(".").slice(0, 3).join(".")).toBe(
        subnet.cidrBlock.split(".").slice(0, 3).join("."),
      );
      expect(instance.userDataReplaceOnChange).toBe(true);
      expect(instance.metadataOptions).toEqual({ httpTokens: "required" });
      expect(scriptOf(server)).toContain("/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_");
    }
  });

  it("keeps each server's config and key in a secret of its own, which only its instance's role may read, and none in its user data", () => {
    const bundles = vmServerFilesOf(preview.resources);
    expect([...bundles.keys()].sort()).toEqual([...SERVERS].sort());
    for (const server of SERVERS) {
      const secret = of("aws:secretsmanager/secret:Secret").find((r) => r.name.endsWith(`-${server}-files`));
      const version = byServer("aws:secretsmanager/secretVersion:SecretVersion", server);
      expect(Object.keys(version.secretString)).toEqual([SECRET]);
      expect(secret?.inputs.recoveryWindowInDays).toBe(0);
      const bundle = bundles.get(server)!;
      expect(Object.keys(bundle.files).sort()).toEqual(
        [
          "/etc/nats/ca.pem",
          "/etc/nats/nats.conf",
          "/etc/nats/server-key.pem",
          "/etc/nats/server.pem",
        ].sort(),
      );
      expect(bundle.files["/etc/nats/server-key.pem"].mode).toBe("0600");
      expect(configOf(server).server_metadata).toEqual({ [FILES_DIGEST_KEY]: bundle.digest });
      // The user data is no secret: it holds neither the config nor a key.
      const instance = byServer("aws:ec2/instance:Instance", server);
      expect(typeof instance.userDataBase64).toBe("string");
      const script = scriptOf(server);
      expect(script).not.toContain("PRIVATE KEY");
      expect(script).not.toContain(configOf(server).system_account);
      // The instance's role may read its own secret, nothing else.
      const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${secret?.name}-a1b2c3d-AbCdEf`;
      expect(agentSettingsOf(script).source).toEqual({
        cloud: "aws",
        secret: arn,
        region: expect.any(String),
      });
      const role = byServer("aws:iam/role:Role", server);
      expect(JSON.parse(role.assumeRolePolicy).Statement).toEqual([
        { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]);
      expect(JSON.parse(byServer("aws:iam/rolePolicy:RolePolicy", server).policy).Statement).toEqual([
        { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: arn },
      ]);
      const profile = of("aws:iam/instanceProfile:InstanceProfile").find((r) =>
        r.name.endsWith(`-${server}`),
      );
      expect(instance.iamInstanceProfile).toBe(`${profile?.name}-a1b2c3d`);
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

  it("reports client URLs only once every server answers at its public name, waiting for it with a bound", () => {
    const gates = of("pulumi-nodejs:dynamic/platforms:ServersAnswering");
    expect(gates.map((g) => g.name)).toEqual(
      ["west", "central", "east", "stretch"].map((c) => `nats-${c}-aws-answering`),
    );
    const addresses = gates.flatMap((g) => g.inputs.addresses as string[]);
    expect(addresses.sort()).toEqual(SERVERS.map((s) => `${host(s)}:4222`).sort());
    expect(gates[0].inputs.timeoutMs).toBe(15 * 60_000);
    // Each change waits for each server, by default as long (rollingTimeout).
    const caughtUp = of("pulumi-nodejs:dynamic/jetstream:ServerCaughtUp");
    expect(caughtUp).toHaveLength(12);
    expect(new Set(caughtUp.map((g) => g.inputs.timeoutMs))).toEqual(new Set([15 * 60_000]));
  });

  it("reports the public names as client URLs", () => {
    expect(preview.outputs.clusters.west.clientUrls).toEqual(
      ["west-1", "west-2", "west-3"].map((s) => `nats://${host(s)}:4222`),
    );
  });

  it("writes configs that pass nats-server -t, with real operator JWTs and certificates for the names each server advertises", async () => {
    await expectVmConfigsAccepted(preview.resources);
  }, 60_000);
});
