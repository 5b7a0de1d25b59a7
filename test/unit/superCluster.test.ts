import * as pulumi from "@pulumi/pulumi";
import { RegionNetworkPlan } from "../../components/platforms/local/regionNetworkPlan";
import { NatsServerConfig } from "../../components/model/serverConfig";
import { SuperCluster, SuperClusterArgs } from "../../components/superCluster";
import { recordingMocks, unwrapSecret } from "../support/mocks";
import { eventually } from "../support/monitor";
import type { WatcherConfig } from "../../components/jetstream/sourceWatch";
import { seedTopology } from "../support/topologies";

const mocks = recordingMocks({ result: "generated-password" });

const local = { dataDir: "/tmp/nats-global-unit", natsServerBinary: "/usr/bin/true" };

/** The region namespaces a stack's output `network` holds, with local.network "namespaces". */
const networkOf = (sc: SuperCluster) => sc.platformOutputs.network as RegionNetworkPlan | undefined;

function outputOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

describe("SuperCluster", () => {
  it("builds the seed's 12 servers in 4 local clusters, named after the component", async () => {
    const sc = new SuperCluster("nats", { ...seedTopology(), local });
    await outputOf(sc.clusters);
    const names = (type: string) => mocks.registered.filter((r) => r.type.endsWith(type)).map((r) => r.name);
    expect(names("local:Cluster")).toEqual(["nats-west", "nats-central", "nats-east", "nats-stretch"]);
    expect(names("Server")).toHaveLength(12);
    expect(names("Server")).toContain("nats-stretch-stretch-2");
    expect(names("DataDir")).toEqual(["nats-data"]);
  });

  it("reports each cluster's URLs, region and stretch flag", async () => {
    const sc = new SuperCluster("nats", { ...seedTopology(), local });
    const clusters = await outputOf(sc.clusters);
    expect(clusters.west).toEqual({
      clientUrls: ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223", "nats://127.0.0.1:4224"],
      monitorUrls: ["http://127.0.0.1:8222", "http://127.0.0.1:8223", "http://127.0.0.1:8224"],
      region: "west",
      stretch: false,
    });
    expect(clusters.stretch.stretch).toBe(true);
    expect(clusters.stretch.region).toBeUndefined();
  });

  it("renders each server's config with the given credentials, in the server's own folder", async () => {
    const sc = new SuperCluster("nats", {
      ...seedTopology(),
      local,
      auth: { app: { user: "orders", password: pulumi.secret("s3cret") } },
    });
    await outputOf(sc.clusters);
    const server = mocks.registered.find((r) => r.name === "nats-east-east-2");
    // The config carries passwords: it goes to the engine as a secret.
    expect(unwrapSecret(server?.inputs.config)).not.toBe(server?.inputs.config);
    const config = unwrapSecret(server?.inputs.config) as NatsServerConfig;
    expect(config.server_tags).toEqual(["region:east", "cloud:local", "az:east-az2"]);
    expect(config.accounts?.APP.users).toEqual([
      { user: "orders", password: "s3cret" },
      {
        user: "watcher",
        password: "generated-password",
        permissions: {
          publish: {
            allow: ["$JS.API.STREAM.LIST", "$JS.API.STREAM.INFO.*", "$JS.API.STREAM.LEADER.STEPDOWN.*"],
          },
          subscribe: { allow: ["_INBOX.>"] },
        },
      },
    ]);
    expect(config.jetstream.store_dir).toBe("/tmp/nats-global-unit/east-2");
    expect(server?.inputs.dir).toBe("/tmp/nats-global-unit/east-2");
    expect(await outputOf(sc.appCredentials)).toEqual({ user: "orders", password: "s3cret" });
  });

  it("generates passwords that it does not get", async () => {
    const sc = new SuperCluster("nats", { ...seedTopology(), local });
    await outputOf(sc.clusters);
    expect(mocks.registered.filter((r) => r.type.endsWith("GeneratedPassword")).map((r) => r.name)).toEqual([
      "nats-app-password",
      "nats-system-password",
      "nats-watcher-password",
    ]);
    expect(await outputOf(sc.appCredentials)).toEqual({ user: "app", password: "generated-password" });
  });

  it("runs a source watcher per region, as the watchers' own user of each account it reads", async () => {
    new SuperCluster("watched", {
      ...seedTopology(),
      local: { ...local, network: "namespaces", networkOctet: 90 },
    });
    const watchers = await eventually("the watchers registered", async () => {
      // Resources of earlier tests may still register now: only this one's count.
      const found = mocks.registered.filter(
        (r) => r.type.endsWith("local:SourceWatcher") && r.name.startsWith("watched-"),
      );
      return found.length === 3 ? found : undefined;
    });
    expect(watchers.map((w) => w.name).sort()).toEqual([
      "watched-watcher-central",
      "watched-watcher-east",
      "watched-watcher-west",
    ]);
    const central = watchers.find((w) => w.name === "watched-watcher-central")?.inputs as {
      launcher: string[];
      dir: string;
      config: unknown;
    };
    expect(central.launcher.slice(0, 3)).toEqual(["ip", "netns", "exec"]);
    expect(central.dir).toBe("/tmp/nats-global-unit/watcher-central");
    const config = unwrapSecret(central.config) as WatcherConfig;
    expect(
      config.accounts.map(({ account, clusters, connection }) => ({
        account,
        clusters,
        user: connection.user,
      })),
    ).toEqual([
      { account: "APP", clusters: ["central"], user: "watcher" },
      { account: "APP-central", clusters: undefined, user: "watcher-central" },
    ]);
    expect(config.accounts[0].connection.servers).toHaveLength(3);
    expect(config.accounts[0].connection.password).toBe("generated-password");
  });

  it("runs no source watcher with sourceWatchers: false", async () => {
    expect(
      new SuperCluster("unwatched", { ...seedTopology(), local, sourceWatchers: false }).sourceWatchers,
    ).toEqual([]);
    expect(new SuperCluster("counted", { ...seedTopology(), local }).sourceWatchers).toHaveLength(3);
  });

  it("puts each region in a network namespace of its own with network: namespaces", async () => {
    const sc = new SuperCluster("nats", {
      ...seedTopology(),
      local: { ...local, network: "namespaces", networkOctet: 90 },
    });
    const clusters = await outputOf(sc.clusters);
    expect(mocks.registered.filter((r) => r.type.endsWith("RegionNetwork")).map((r) => r.name)).toEqual([
      "nats-network",
    ]);
    expect(clusters.central.clientUrls[0]).toBe("nats://127.90.2.1:4225");
    // The stretch server hosted in east lives in east's namespace, on east's address.
    const stretchEast = mocks.registered.find((r) => r.name === "nats-stretch-stretch-3");
    const namespace = networkOf(sc)?.regions.find((r) => r.region === "east")?.namespace;
    expect(stretchEast?.inputs.launcher).toEqual(["ip", "netns", "exec", namespace]);
    const config = unwrapSecret(stretchEast?.inputs.config) as NatsServerConfig;
    expect(config.listen).toBe("127.90.3.1:4233");
    expect(config.gateway.gateways.find((g) => g.name === "west")?.urls[0]).toBe("nats://127.90.1.1:7222");
  });

  it("runs a latency proxy per region and advertises gateways there with local.latency", async () => {
    const sc = new SuperCluster("nats", {
      ...seedTopology(),
      local: {
        ...local,
        network: "namespaces",
        networkOctet: 90,
        latency: "40ms",
        toxiproxyBinary: "/bin/true",
      },
    });
    await outputOf(sc.clusters);
    const proxies = mocks.registered.filter((r) => r.type.endsWith("LatencyProxy"));
    expect(proxies.map((r) => r.name)).toEqual([
      "nats-latency-west",
      "nats-latency-central",
      "nats-latency-east",
    ]);
    expect(proxies.map((r) => (r.inputs.plan as { latencyMs: number }).latencyMs)).toEqual([40, 40, 40]);
    expect(proxies[0].inputs.dir).toBe("/tmp/nats-global-unit/latency-west");
    const west1 = unwrapSecret(mocks.registered.find((r) => r.name === "nats-west-west-1")?.inputs.config);
    expect((west1 as NatsServerConfig).gateway.advertise).toBe("127.90.1.2:7222");
  });

  it("gives two stacks' networks different names and addresses, from their data directories", async () => {
    const a = new SuperCluster("a", {
      ...seedTopology(),
      local: { dataDir: "/srv/a", network: "namespaces" },
    });
    const b = new SuperCluster("b", {
      ...seedTopology(),
      local: { dataDir: "/srv/b", network: "namespaces" },
    });
    await Promise.all([outputOf(a.clusters), outputOf(b.clusters)]);
    expect(networkOf(a)?.prefix).not.toBe(networkOf(b)?.prefix);
    expect(networkOf(a)?.range).not.toBe(networkOf(b)?.range);
  });

  it.each<[string, SuperClusterArgs, string]>([
    ["a duplicate region", { regions: [{ name: "a" }, { name: "a" }], local }, "regions[1].name"],
    [
      "a stretch cluster over 2 regions",
      { regions: [{ name: "a" }, { name: "b" }], stretch: { regions: ["a", "b"] }, local },
      "stretch.regions",
    ],
    [
      "a platform that does not exist",
      { regions: [{ name: "a", platform: "azure" as never }], local },
      "regions[0].platform",
    ],
    [
      "a local region beside a region on a cloud, whose gateways cannot reach it",
      {
        regions: [
          {
            name: "a",
            platform: "aws",
            zones: ["us-west-2a"],
            aws: { region: "us-west-2", ami: "ami-0123456789abcdef0", host: "{server}.example.com" },
          },
          { name: "b" },
        ],
        local,
        security: { mode: "operator" },
      },
      "regions[1].platform",
    ],
    ["local servers without a data directory", { regions: [{ name: "a" }] }, "local.dataDir"],
    [
      "an unknown local network",
      { regions: [{ name: "a" }], local: { ...local, network: "bridge" as never } },
      "local.network",
    ],
    [
      "latency without region namespaces",
      { regions: [{ name: "a" }], local: { ...local, latency: "20ms" } },
      "local.latency",
    ],
    [
      "a latency that is not whole milliseconds",
      { regions: [{ name: "a" }], local: { ...local, network: "namespaces", latency: "1.5ms" } },
      "local.latency",
    ],
    [
      "an application user whose region users take the source watchers' names",
      { regions: [{ name: "a" }], local, auth: { app: { user: "watcher" } } },
      "auth.app.user",
    ],
    [
      "a system user named as the application's",
      { regions: [{ name: "a" }], local, auth: { app: { user: "ops" }, system: { user: "ops" } } },
      "auth.system.user",
    ],
  ])("refuses %s before creating anything", (_, args, field) => {
    // A RunError: Pulumi prints its message alone, without a stack trace.
    expect(() => new SuperCluster("bad", args)).toThrow(pulumi.RunError);
    expect(() => new SuperCluster("bad", args)).toThrow(field);
    // Resources of earlier tests may still register now: only this one's count.
    const mine = mocks.registered.filter((r) => r.name.startsWith("bad"));
    expect(mine.filter((r) => r.type !== "nats-global:index:SuperCluster")).toEqual([]);
  });
});
