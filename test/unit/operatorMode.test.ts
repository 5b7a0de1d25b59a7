import * as pulumi from "@pulumi/pulumi";
import { NatsServerConfig } from "../../components/model/serverConfig";
import { SuperCluster } from "../../components/superCluster";
import { VirtualStream } from "../../components/virtualStream";
import { AppUser } from "../../components/appUser";
import { recordingMocks, unwrapSecret } from "../support/mocks";
import { seedTopology } from "../support/topologies";

// Every dynamic resource reports the same key, seed, JWT and PEMs: enough to follow them into configs.
const mocks = recordingMocks({
  publicKey: "AKEY",
  seed: "SAMOCKSEED",
  jwt: "eyJ.mock.jwt",
  certPem: "MOCK CERT",
  keyPem: "MOCK KEY",
});
const local = { dataDir: "/tmp/nats-global-unit", natsServerBinary: "/usr/bin/true" };

function outputOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

const operatorCluster = (extra: Partial<ConstructorParameters<typeof SuperCluster>[1]> = {}) =>
  new SuperCluster("nats", { ...seedTopology(), local, security: { mode: "operator" }, ...extra });

describe("SuperCluster in operator mode", () => {
  it("makes the operator, the application account, one account per region and the stack's users as NKeys and signed JWTs", async () => {
    await outputOf(operatorCluster().clusters);
    const names = (type: string) => mocks.registered.filter((r) => r.type.endsWith(type)).map((r) => r.name);
    const parts = [
      "admin-user",
      "app-account",
      "app-watcher-user",
      ...["west", "central", "east"].flatMap((r) => [
        `app-${r}-account`,
        `app-${r}-admin-user`,
        `app-${r}-watcher-user`,
      ]),
      "operator",
      "system-account",
      "system-user",
    ];
    expect(names("NKeyPair").sort()).toEqual(parts.map((k) => `nats-${k}-key`).sort());
    expect(names("SignedJwt").sort()).toEqual(parts.map((k) => `nats-${k}-jwt`).sort());
    expect(names("GeneratedPassword")).toEqual([]);
  });

  it("gives every server the operator, a full resolver in its own folder and the preloaded accounts", async () => {
    await outputOf(operatorCluster().clusters);
    const server = mocks.registered.find((r) => r.name === "nats-east-east-2");
    const config = unwrapSecret(server?.inputs.config) as NatsServerConfig;
    expect(config.accounts).toBeUndefined();
    expect(config.operator).toBe("eyJ.mock.jwt");
    expect(config.system_account).toBe("AKEY");
    expect(config.resolver).toMatchObject({ type: "full", dir: "/tmp/nats-global-unit/east-2/jwt" });
    expect(config.resolver_preload).toEqual({ AKEY: "eyJ.mock.jwt" });
  });

  it("signs the application account's users with its key and connects the stack's resources with creds", async () => {
    const sc = operatorCluster();
    const credentials = await outputOf(sc.appCredentials);
    expect(credentials).toEqual({ creds: expect.stringContaining("SAMOCKSEED"), ca: "MOCK CERT" });
    const connection = await outputOf(sc.connection("west"));
    expect(connection).toMatchObject({
      credentials: expect.stringContaining("eyJ.mock.jwt"),
      tls: { ca: "MOCK CERT" },
    });
    expect(connection).not.toHaveProperty("password");
  });

  it("pushes every account's limits per replica tier, and each virtual stream's links, as account parts", async () => {
    const sc = operatorCluster({ security: { mode: "operator", accountLimits: { R3: { fileStore: 1e9 } } } });
    const links = sc.applyLinks("foo-links", "foo", {
      exports: [{ service: "foo.west.>", accounts: ["APP-west"] }],
      imports: { "APP-west": [{ service: { account: "APP", subject: "foo.west.>" }, to: "foo.>" }] },
    });
    await Promise.all(links.map((l) => outputOf(l.urn)));
    // Resources register asynchronously: an earlier test's may still arrive; this test's come last.
    const part = (name: string) =>
      mocks.registered.filter((r) => r.type.endsWith("AccountPart") && r.name === name).pop()?.inputs;
    expect(part("nats-app-limits")?.owner).toBe("limits");
    const limits = part("nats-app-limits")?.part as {
      limits: { tiered_limits: Record<string, { disk_storage: number }> };
    };
    expect(limits.limits.tiered_limits.R3.disk_storage).toBe(1e9);
    expect(part("nats-app-west-limits")?.owner).toBe("limits");
    expect(part("foo-links-exports")?.owner).toBe("foo");
    expect(part("foo-links-exports")?.part).toEqual({
      exports: [{ subject: "foo.west.>", type: "service" }],
    });
    expect(part("foo-links-imports-app-west")?.part).toEqual({
      imports: [
        { subject: "foo.west.>", account: expect.any(String), type: "service", local_subject: "foo.>" },
      ],
    });
    expect(mocks.registered.filter((r) => r.type.endsWith(":AccountLinks"))).toEqual([]);
  });

  it("issues an application's user per region with only its virtual streams there, revoked when it goes", async () => {
    const sc = operatorCluster();
    const foo = new VirtualStream("foo", { superCluster: sc, consistency: "eventual" });
    const user = new AppUser("orders-west", { superCluster: sc, region: "west", virtualStreams: [foo] });
    await outputOf(user.creds);
    const last = (name: string) => mocks.registered.filter((r) => r.name === name).pop();
    // Its inputs wait for the servers' URLs: it registers after the creds are known.
    const deadline = Date.now() + 10_000;
    while (last("orders-west-revocation") === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(last("orders-west-key")?.type).toMatch(/NKeyPair$/);
    expect(last("orders-west-revocation")?.type).toMatch(/UserRevocation$/);
    const claims = last("orders-west-jwt")?.inputs.claims as {
      pub: { allow: string[] };
      sub: { allow: string[] };
    };
    expect(claims.pub.allow).toContain("foo.>");
    expect(claims.pub.allow).toContain("$JS.API.CONSUMER.CREATE.foo.*");
    // Signed by west's account, whose stream foo it reads.
    const westAccount = mocks.registered.filter((r) => r.name === "nats-app-west-account-key").pop();
    expect(westAccount?.type).toMatch(/NKeyPair$/);
    expect(claims.sub.allow).toEqual(["_INBOX.>"]);
  });

  it("refuses a user in an unknown region, or without a virtual stream, naming the field", async () => {
    const sc = operatorCluster();
    const foo = new VirtualStream("foo", { superCluster: sc, consistency: "eventual" });
    expect(() => new AppUser("u", { superCluster: sc, region: "mars", virtualStreams: [foo] })).toThrow(
      /region: "mars" is not a region/,
    );
    expect(() => new AppUser("u", { superCluster: sc, region: "west", virtualStreams: [] })).toThrow(
      /virtualStreams: give the user at least one/,
    );
    await outputOf(foo.appConfig);
  });

  it("refuses users of their own in static mode, saying which mode they need", async () => {
    const sc = new SuperCluster("nats", { ...seedTopology(), local });
    const foo = new VirtualStream("foo", { superCluster: sc, consistency: "eventual" });
    expect(() => new AppUser("u", { superCluster: sc, region: "west", virtualStreams: [foo] })).toThrow(
      /security.mode "operator"/,
    );
    await outputOf(foo.appConfig);
  });
});
