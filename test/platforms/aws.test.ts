/*
 * The aws stack (stacks/Pulumi.aws.yaml) through the real Terraform AWS provider, served by
 * Pulumi's bridge (scripts/platforms/aws-provider), against moto. Every call goes through the tests'
 * EC2 world, which boots each instance from the user data moto holds on a machine of its own, so
 * that the servers form their super-cluster at the addresses the platform planned, and records the
 * order in which the provider stops, detaches, terminates and launches.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { Ec2World } from "../support/aws/ec2World";
import { Moto, tagged } from "../support/aws/moto";
import { eventually } from "../support/monitor";
import { everyServerHealthy, healthz, monitorGet } from "../support/platforms/health";
import { Hosts } from "../support/platforms/hosts";
import { MachineNetwork } from "../support/platforms/machines";
import { changesBesidesSame, reportedChanges, TestStack } from "../support/stackRunner";
import { PROJECT_DIR } from "../support/tools";

// Provider builds ran before; what is timed here is `pulumi up` of a whole stack, servers and all.
jest.setTimeout(20 * 60_000);
/** moto's Canonical images are Ubuntu 14.04 and 16.04: the stack names one, as day 2 wants anyway. */
const MOTO_UBUNTU_IMAGE = "ami-785db401";
/** The image an upgrade moves to. */
const NEXT_MOTO_UBUNTU_IMAGE = "ami-1e749f67";
/** How often each machine checks its secret here: the least the platform takes. */
const FILES_POLL_SECONDS = 5;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-aws-"));
const moto = new Moto(25690, path.join(dir, "moto.log"));
const machines = Array.from({ length: 16 }, (_, i) => `m${i}`);
const network = new MachineNetwork("ngaws", 87, machines);
const hosts = new Hosts();
let world: Ec2World;
let stack: TestStack;

const stackFile = yaml.load(fs.readFileSync(path.join(PROJECT_DIR, "stacks", "Pulumi.aws.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
type AwsRegion = { aws: Record<string, unknown> & { region: string } };
const AWS_REGIONS = (stackFile.config["nats-global:regions"] as AwsRegion[]).map((r) => r.aws.region);

/** The aws stack's config, with moto's hosted zone and a pinned image of moto's. */
const stackConfig = (zone: string): Record<string, unknown> => {
  const config = structuredClone(
    Object.fromEntries(
      Object.entries(stackFile.config).map(([key, value]) => [key.replace(/^nats-global:/, ""), value]),
    ),
  );
  for (const region of config.regions as AwsRegion[]) {
    Object.assign(region.aws, {
      dnsZoneId: zone,
      ami: MOTO_UBUNTU_IMAGE,
      filesPollSeconds: FILES_POLL_SECONDS,
    });
  }
  return config;
};

/** The stack's regions with `change` made to each one's aws args. */
const regionsWith = (change: Record<string, unknown>): AwsRegion[] =>
  (stack.getConfig("regions") as AwsRegion[]).map((region) => ({
    ...region,
    aws: { ...region.aws, ...change },
  }));

const run = async (command: "up" | "preview" | "down", timeoutMs = 15 * 60_000) => {
  const result = await stack.run(command, timeoutMs, { env: awsEnv(), launcher: hosts.launcher() });
  if (result.code !== 0) {
    throw new Error(
      `${command} failed:\n${result.output.slice(-6000)}\nEC2 world: ${world.violations.join("\n")}`,
    );
  }
  return result;
};

/** The provider's own settings, for every service: the world's proxy in front of moto, test keys. */
const awsEnv = () => ({
  AWS_ENDPOINT_URL: world.url,
  AWS_ACCESS_KEY_ID: "platform-tests",
  AWS_SECRET_ACCESS_KEY: "platform-tests",
});

/** Each `<tag>` value of what EC2 answers `action` in every region of the stack. */
async function listed(action: string, tag: string, params: Record<string, string> = {}): Promise<string[]> {
  const answers = await Promise.all(AWS_REGIONS.map((region) => moto.ec2(region, action, params)));
  return answers.flatMap((xml) => tagged(xml, tag));
}
const inState = (...states: string[]): Record<string, string> => ({
  "Filter.1.Name": "instance-state-name",
  ...Object.fromEntries(states.map((state, i) => [`Filter.1.Value.${i + 1}`, state])),
});

/** Each running server's instance, by server name (its nats-global:server tag). */
async function instancesByServer(): Promise<Map<string, string>> {
  const byServer = new Map<string, string>();
  for (const region of AWS_REGIONS) {
    for (const instance of tagged(
      await moto.ec2(region, "DescribeInstances", inState("running")),
      "instanceId",
    )) {
      const described = await moto.ec2(region, "DescribeInstances", { "InstanceId.1": instance });
      const server = /<key>nats-global:server<\/key>\s*<value>([^<]+)<\/value>/.exec(described)?.[1];
      if (server !== undefined) byServer.set(server, instance);
    }
  }
  return byServer;
}

/** When a server's log says it reloaded its config, and whether it ever entered lame duck mode. */
function reloadsOf(log: string): { reloads: number[]; lameDuck: boolean } {
  const at = (line: string) =>
    Date.parse(
      `${line
        .slice(line.indexOf("] ") + 2, line.indexOf("] ") + 28)
        .replace(/\//g, "-")
        .replace(" ", "T")}Z`,
    );
  const lines = log.split("\n");
  return {
    reloads: lines.filter((l) => l.includes("Reloaded server configuration")).map(at),
    lameDuck: lines.some((l) => l.includes("Entering lame duck mode")),
  };
}

/** The size of the ext4 file system on a volume's disk, in bytes. */
const fileSystemBytes = (image: string): number => {
  const header = execFileSync("dumpe2fs", ["-h", image], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(header)?.[1]);
  return field("Block count") * field("Block size");
};

/** The file system on each data volume, by volume id: the same UUID means it was never made anew. */
const fileSystems = (): Map<string, string> =>
  new Map(
    fs.readdirSync(path.join(dir, "ec2", "volumes")).map((file) => [
      file.replace(/\.img$/, ""),
      execFileSync("blkid", ["-s", "UUID", "-o", "value", path.join(dir, "ec2", "volumes", file)], {
        encoding: "utf8",
      }).trim(),
    ]),
  );

beforeAll(async () => {
  await moto.start();
  // Fixed ids and addresses from run to run (moto draws them at random).
  await fetch(`${moto.url}/moto-api/seed?a=15`, { method: "POST" });
  const zone = await moto.createHostedZone("nats.example.com");
  await network.create();
  world = new Ec2World(moto, network, machines, hosts, path.join(dir, "ec2"), 25691);
  await world.start();
  stack = new TestStack("e2e-platform-aws", stackConfig(zone));
  stack.discardEarlierRun();
}, 120_000);

afterAll(async () => {
  if (stack !== undefined) {
    await stack.run("down", 10 * 60_000, { env: awsEnv(), launcher: hosts.launcher() });
    stack.pulumi(["stack", "rm", "--yes", "--force", "-s", stack.name]);
    fs.rmSync(stack.configFile, { force: true });
  }
  await world?.stop();
  await network.destroy();
  await moto.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  hosts.remove();
}, 15 * 60_000);

describe("the aws stack through the real AWS provider, against moto", () => {
  it("previews through the provider's checks, snapshot policies included", async () => {
    const preview = await run("preview");
    expect(reportedChanges(preview.output)).toEqual({ create: expect.any(Number) });
    // The preview's diff names each resource to create by its URN.
    const policies = [
      ...preview.output.matchAll(
        /\[urn=urn:pulumi:[^\]]*\$aws:dlm\/lifecyclePolicy:LifecyclePolicy::([\w-]+)\]/g,
      ),
    ].map((m) => m[1]);
    expect(new Set(policies)).toEqual(
      new Set(["nats-west-snapshots", "nats-central-snapshots", "nats-east-snapshots"]),
    );
  });

  it("creates everything; the instances boot from their user data and form the super-cluster", async () => {
    // moto has no Data Lifecycle Manager: the preview above is what shows that the provider takes
    // the snapshot policies.
    stack.setConfig("regions", regionsWith({ snapshots: false }));
    const up = await run("up");
    expect(reportedChanges(up.output).create).toBeGreaterThan(100);
    expect(await listed("DescribeInstances", "instanceId", inState("running"))).toHaveLength(12);
    // The firewall rules with their descriptions, which the provider checked.
    expect(await listed("DescribeSecurityGroups", "description")).toEqual(
      expect.arrayContaining([
        "NATS clients",
        "routes: the region and the public IPs of the servers",
        "gateways: every server of the super-cluster",
      ]),
    );
    await everyServerHealthy(stack, hosts, 180_000);
    expect(world.violations).toEqual([]);
  });

  it("previews no change after up", async () => {
    const preview = await run("preview");
    expect(changesBesidesSame(preview.output)).toEqual({ changes: {}, diff: "" });
  });

  it("renews certificates and grows volumes with no new instance: servers reload their new files from their secrets, one at a time, and their file systems grow", async () => {
    const before = await instancesByServer();
    expect(before.size).toBe(12);
    const logs = new Map([...before].map(([server, instance]) => [server, world.serverLog(instance).length]));
    const renewedAt = Date.now();
    stack.setConfig("security", { tls: { validity: "2000h" } });
    stack.setConfig("regions", regionsWith({ volumeSize: 60 }));
    const up = await run("up");
    // Each server's secret takes a new version (the provider replaces a version whose value
    // changes); no instance is replaced.
    expect(reportedChanges(up.output).replace).toBe(12);
    expect(await instancesByServer()).toEqual(before);
    expect(world.instanceServices.refusals).toEqual([]);
    await everyServerHealthy(stack, hosts, 120_000);
    // Every server took its files by one reload, and only once the one before it in its cluster had.
    const reloaded = new Map(
      [...before].map(([server, instance]) => [
        server,
        reloadsOf(world.serverLog(instance).slice(logs.get(server))),
      ]),
    );
    for (const [server, { reloads, lameDuck }] of reloaded) {
      expect({ server, reloads: reloads.length, lameDuck }).toEqual({ server, reloads: 1, lameDuck: false });
    }
    for (const cluster of ["west", "central", "east", "stretch"]) {
      const order = [1, 2, 3].map((k) => reloaded.get(`${cluster}-${k}`)?.reloads[0] as number);
      expect({ cluster, inOrder: order[0] < order[1] && order[1] < order[2] }).toEqual({
        cluster,
        inOrder: true,
      });
    }
    // Certificates valid for 2000 h from the renewal, as every server now presents.
    const clusters = stack.outputs().clusters as Record<string, { monitorUrls: string[] }>;
    const ca = (stack.outputs(true).credentials as { ca: string }).ca;
    for (const url of Object.values(clusters).flatMap((c) => c.monitorUrls)) {
      const varz = JSON.parse(await monitorGet(url, "/varz", ca, hosts)) as { tls_cert_not_after: string };
      expect(Math.abs(Date.parse(varz.tls_cert_not_after) - (renewedAt + 2000 * 3600_000))).toBeLessThan(
        3600_000,
      );
    }
    // Each machine's agent grows its file system online to the volume's 60 GiB once the volume grew
    // (ext4's online resize). It takes CAP_SYS_RESOURCE, which this machine may not grant its
    // root: then what is checked is that the agent asked the kernel for it, and what it answered.
    const canResize =
      (BigInt(`0x${/^CapEff:\s+([0-9a-f]+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1]}`) >>
        24n) &
      1n;
    for (const [server, instance] of before) {
      await eventually(
        `${server}'s file system grown, or its growth asked for`,
        async () => {
          const log = world.serverLog(instance, "nats-server-files");
          return canResize === 1n
            ? /grew the file system of \/var\/lib\/nats to (\d+) bytes/.exec(log)?.[1]
            : /resize2fs \/dev\/loop\d+ failed: .*Permission denied to resize filesystem/.exec(log)?.[0];
        },
        60_000,
      );
    }
    if (canResize === 1n) {
      for (const file of fs.readdirSync(path.join(dir, "ec2", "volumes"))) {
        const bytes = fileSystemBytes(path.join(dir, "ec2", "volumes", file));
        expect({ file, grown: bytes > 59 * 1024 ** 3 && bytes <= 60 * 1024 ** 3 }).toEqual({
          file,
          grown: true,
        });
      }
    }
    expect(world.violations).toEqual([]);
  });

  it("replaces instances one at a time for a new image, each once the one before is healthy, stopped in lame duck mode before its volume and address go", async () => {
    const from = world.events.length;
    const before = fileSystems();
    const clusters = Object.values(stack.outputs().clusters as Record<string, { monitorUrls: string[] }>);
    const ca = (stack.outputs(true).credentials as { ca: string }).ca;
    const serverOf = (monitorUrl: string) => new URL(monitorUrl).hostname.split(".")[0];
    // Whenever an instance is about to stop, every other server of its cluster must be healthy and
    // caught up (allowing a few seconds for a JetStream leader moving away from a server that stops).
    world.beforeShutdown = async (instance, region) => {
      const described = await moto.ec2(region, "DescribeInstances", { "InstanceId.1": instance });
      const server = /<key>nats-global:server<\/key>\s*<value>([^<]+)<\/value>/.exec(described)?.[1];
      const peers = clusters
        .find((cluster) => cluster.monitorUrls.some((url) => serverOf(url) === server))
        ?.monitorUrls.filter((url) => serverOf(url) !== server);
      if (peers === undefined) return [`instance ${instance} runs no server of the stack (${server})`];
      const answers = await Promise.all(
        peers.map((url) =>
          eventually(
            `${serverOf(url)} healthy`,
            async () => {
              const answer = await healthz(url, ca, hosts);
              return answer.includes('"ok"') ? answer : undefined;
            },
            5_000,
          ).catch(() => healthz(url, ca, hosts)),
        ),
      );
      return peers.flatMap((url, i) =>
        answers[i].includes('"ok"')
          ? []
          : [`${server} stopped while ${serverOf(url)} was not healthy: ${answers[i]}`],
      );
    };
    stack.setConfig("regions", regionsWith({ ami: NEXT_MOTO_UBUNTU_IMAGE }));
    const up = await run("up").finally(() => (world.beforeShutdown = undefined));
    // Each server's instance, and its volume attachment and address association, which name it.
    expect(reportedChanges(up.output).replace).toBe(36);
    expect(world.violations).toEqual([]);
    const events = world.events.slice(from);
    const stopped = events.filter((e) => e.what === "StopInstances").map((e) => e.instance);
    expect(stopped).toHaveLength(12);
    for (const instance of stopped) {
      const order = events.filter((e) => e.instance === instance).map((e) => e.what);
      expect({ instance, order }).toEqual({
        instance,
        order: expect.arrayContaining([
          "StopInstances",
          "server stopped",
          "DisassociateAddress",
          "DetachVolume",
          "TerminateInstances",
        ]),
      });
      // systemd stops the server with lame duck mode alone: a SIGTERM would end it at once.
      expect({ instance, signals: order.filter((what) => what.startsWith("server sent")) }).toEqual({
        instance,
        signals: ["server sent SIGUSR2"],
      });
      const at = (what: string) => order.indexOf(what);
      expect(at("server stopped")).toBeLessThan(at("DetachVolume"));
      expect(at("server stopped")).toBeLessThan(at("DisassociateAddress"));
      expect(at("DetachVolume")).toBeLessThan(at("TerminateInstances"));
    }
    expect(fileSystems()).toEqual(before);
    await everyServerHealthy(stack, hosts, 180_000);
  });

  it("destroys everything it made but the servers' volumes, which it leaves detached", async () => {
    const down = await run("down");
    expect(reportedChanges(down.output).delete).toBeGreaterThan(100);
    const alive = inState("pending", "running", "stopping", "stopped", "shutting-down");
    expect(await listed("DescribeInstances", "instanceId", alive)).toEqual([]);
    expect(await listed("DescribeAddresses", "publicIp")).toEqual([]);
    // retainVolumes is on by default: each volume may hold the only copy of what its streams stored.
    const dataVolumes = { "Filter.1.Name": "tag-key", "Filter.1.Value.1": "Name" };
    expect((await listed("DescribeVolumes", "volumeId", dataVolumes)).length).toBe(12);
    expect(new Set(await listed("DescribeVolumes", "status", dataVolumes))).toEqual(new Set(["available"]));
    expect((await listed("DescribeSecurityGroups", "groupName")).filter((g) => g !== "default")).toEqual([]);
    expect(world.running()).toEqual([]);
  });
});
