import { publicName, SEED_SERVERS } from "../support/seedServers";
import { expectVmConfigsAccepted } from "../support/configCheck";
import { FILES_DIGEST_KEY } from "../../components/model/serverConfig";
import { SECRET } from "../../scripts/mockPreview";
import { agentSettingsOf, configOfBundle, vmServerFilesOf } from "../support/bootScripts";
import { ofKind } from "../support/stackPreview";
import { PREVIEW_TIMEOUT_MS, previewStack, StackPreview } from "../support/stackPreview";

const SERVERS = SEED_SERVERS;
const host = publicName;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inputs = Record<string, any>;

describe("the gcp stack (stacks/Pulumi.gcp.yaml) under mocks", () => {
  let preview: StackPreview;
  const of = (kind: string) => ofKind(preview.resources, kind);
  const instanceOf = (server: string) =>
    of("gcp:compute/instance:Instance").find((r) => r.name.endsWith(`-${server}`))?.inputs as Inputs;
  const configOf = (server: string) => configOfBundle(vmServerFilesOf(preview.resources).get(server)!);

  beforeAll(() => {
    preview = previewStack("gcp");
  }, PREVIEW_TIMEOUT_MS);

  it("makes one network, a subnetwork and five firewall rules per region, and per server an instance, a disk, a static address and a DNS name", () => {
    expect(of("gcp:compute/network:Network")).toHaveLength(1);
    expect(
      of("gcp:compute/subnetwork:Subnetwork").map((s) => [s.inputs.region, s.inputs.ipCidrRange]),
    ).toEqual([
      ["us-west1", "10.10.0.0/16"],
      ["us-central1", "10.11.0.0/16"],
      ["us-east4", "10.12.0.0/16"],
    ]);
    // clients, routes, gateways, monitoring; no SSH without adminCidrs.
    expect(of("gcp:compute/firewall:Firewall")).toHaveLength(12);
    for (const kind of [
      "gcp:compute/instance:Instance",
      "gcp:compute/disk:Disk",
      "gcp:compute/address:Address",
      "gcp:dns/recordSet:RecordSet",
    ]) {
      expect({ kind, count: of(kind).length }).toEqual({ kind, count: 12 });
    }
    for (const server of SERVERS) {
      const record = of("gcp:dns/recordSet:RecordSet").find((r) => r.name.endsWith(`-${server}-dns`))?.inputs;
      expect(record).toMatchObject({ name: `${host(server)}.`, type: "A", managedZone: "nats-example-com" });
    }
  });

  it("snapshots every disk daily by default, kept 7 days, on one schedule per region, in values its provider accepts", () => {
    const policies = of("gcp:compute/resourcePolicy:ResourcePolicy");
    expect(policies.map((p) => p.inputs.region)).toEqual(["us-west1", "us-central1", "us-east4"]);
    for (const { inputs } of policies) {
      // terraform-provider-google resource_compute_resource_policy.go (magic-modules
      // ResourcePolicy.yaml): one of the schedules; start times on the hour (ValidateHourlyOnly);
      // daily means days_in_cycle 1; labels, storage locations or guest flush at least.
      expect(inputs.snapshotSchedulePolicy).toEqual({
        schedule: { dailySchedule: { daysInCycle: 1, startTime: "00:00" } },
        retentionPolicy: { maxRetentionDays: 7, onSourceDiskDelete: "KEEP_AUTO_SNAPSHOTS" },
        snapshotProperties: { labels: { "nats-global-super-cluster": "nats" } },
      });
    }
    const attachments = of("gcp:compute/diskResourcePolicyAttachment:DiskResourcePolicyAttachment");
    expect(attachments).toHaveLength(12);
    const disks = of("gcp:compute/disk:Disk");
    for (const disk of disks) {
      const zone = disk.inputs.zone as string;
      const [attachment] = attachments.filter((a) => a.inputs.disk === `${disk.name}-a1b2c3d`);
      const policy = policies.find((p) => p.inputs.region === zone.slice(0, -2));
      // The policy by its name, not its self link; the disk's own zone.
      expect(attachment.inputs).toEqual({
        disk: `${disk.name}-a1b2c3d`,
        zone,
        name: `${policy?.name}-a1b2c3d`,
      });
    }
  });

  it("keeps each server's config and key in a secret of its own, which only its instance's service account may read, and none in its startup script", () => {
    const bundles = vmServerFilesOf(preview.resources);
    expect([...bundles.keys()].sort()).toEqual([...SERVERS].sort());
    const identity = (kind: string, server: string) =>
      of(kind).find((r) => r.name.endsWith(`-${server}-identity`))?.inputs as Inputs;
    for (const server of SERVERS) {
      const secret = identity("gcp:secretmanager/secret:Secret", server);
      const version = identity("gcp:secretmanager/secretVersion:SecretVersion", server);
      const account = identity("gcp:serviceaccount/account:Account", server);
      const access = identity("gcp:secretmanager/secretIamMember:SecretIamMember", server);
      const secretName = `projects/mock-project/secrets/${secret.secretId}`;
      const email = `${account.accountId}@mock-project.iam.gserviceaccount.com`;
      expect(Object.keys(version.secretData)).toEqual([SECRET]);
      expect(version.secret).toBe(secretName);
      expect(access).toMatchObject({
        secretId: secretName,
        role: "roles/secretmanager.secretAccessor",
        member: `serviceAccount:${email}`,
      });
      const instance = instanceOf(server);
      expect(instance.serviceAccount).toEqual({ email, scopes: ["cloud-platform"] });
      expect(typeof instance.metadataStartupScript).toBe("string");
      expect(instance.metadataStartupScript).not.toContain("PRIVATE KEY");
      expect(agentSettingsOf(instance.metadataStartupScript).source).toEqual({
        cloud: "gcp",
        secret: secretName,
      });
      expect(configOf(server).server_metadata).toEqual({ [FILES_DIGEST_KEY]: bundles.get(server)!.digest });
    }
    // Ids unique per project: one stack's servers never take another's secret or account.
    expect(new Set(of("gcp:serviceaccount/account:Account").map((a) => a.inputs.accountId)).size).toBe(12);
  });

  it("puts each server in its planned zone and private address with its disk, replaced when its startup script changes", () => {
    for (const server of SERVERS) {
      const instance = instanceOf(server);
      const zone = configOf(server)
        .server_tags.find((t) => t.startsWith("az:"))
        ?.slice(3);
      expect(instance.zone).toBe(zone);
      const disk = of("gcp:compute/disk:Disk").find((d) => d.name.endsWith(`-${server}-data`))
        ?.inputs as Inputs;
      expect(disk).toMatchObject({ zone, size: 50 });
      expect(instance.attachedDisks).toEqual([
        { source: expect.stringMatching(new RegExp(`-${server}-data-id$`)), deviceName: "nats-data" },
      ]);
      const [nic] = instance.networkInterfaces;
      expect(nic.networkIp).toMatch(/^10\.1[0-2]\.[0-2]\.1\d$/);
      expect(nic.accessConfigs[0].natIp).toMatch(/^198\.51\./);
      expect(instance.metadataStartupScript).toContain("/dev/disk/by-id/google-nats-data");
      // A new machine type is applied by a stop and start; the provider refuses it otherwise.
      expect(instance.allowStoppingForUpdate).toBe(true);
      expect(instance.bootDisk.initializeParams.image).toMatch(
        /^projects\/ubuntu-os-cloud\/global\/images\//,
      );
      const config = configOf(server);
      expect(config.gateway.advertise).toBe(`${host(server)}:7222`);
      expect(config.cluster.advertise).toBe(
        `${server.startsWith("stretch-") ? host(server) : nic.networkIp}:6222`,
      );
    }
  });

  it("admits gateways only from the servers' static addresses, and applies the rules to the region's servers alone", () => {
    const addresses = of("gcp:compute/address:Address").length;
    const rules = of("gcp:compute/firewall:Firewall").filter((f) => f.name.startsWith("nats-west-"));
    const byName = new Map(rules.map((r) => [r.name.replace("nats-west-", ""), r.inputs as Inputs]));
    expect(byName.get("gateways")?.sourceRanges).toHaveLength(addresses);
    expect(byName.get("gateways")?.allows).toEqual([{ protocol: "tcp", ports: ["7222"] }]);
    expect(byName.get("monitoring")?.sourceRanges).toEqual(["10.10.0.0/16"]);
    for (const rule of rules) expect(rule.inputs.targetTags).toEqual(["nats-west-nats"]);
    for (const server of ["west-1", "stretch-1"]) expect(instanceOf(server).tags).toEqual(["nats-west-nats"]);
  });

  it("writes configs that pass nats-server -t, with real operator JWTs and certificates for the names each server advertises", async () => {
    await expectVmConfigsAccepted(preview.resources);
  }, 60_000);
});
