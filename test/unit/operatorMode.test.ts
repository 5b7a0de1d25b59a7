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
  it("makes the operator, two accounts and the stack's two users as NKeys and signed JWTs", async () => {
    await outputOf(operatorCluster().clusters);
    const names = (type: string) => mocks.registered.filter((r) => r.type.endsWith(type)).map((r) => r.name);
    expect(names("NKeyPair").sort()).toEqual(
      ["admin-user", "app-account", "operator", "system-account", "system-user"].map((k) => `nats-${k}-key`),
    );
    expect(names("SignedJwt").sort()).toEqual(
      ["admin-user", "app-account", "operator", "system-account", "system-user"].map((k) => `nats-${k}-jwt`),
    );
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

  it("pushes the account's limits per replica tier, and each virtual stream's mappings, as account parts", async () => {
    const sc = operatorCluster({ security: { mode: "operator", accountLimits: { R3: { fileStore: 1e9 } } } });
    const mappings = sc.applyMappings("foo-mappings", "foo", {
      "foo.>": [{ destination: "foo.west.>", weight: 100, cluster: "west" }],
    });
    await outputOf(mappings.urn);
    // Resources register asynchronously: an earlier test's may still arrive; this test's come last.
    const part = (name: string) =>
      mocks.registered.filter((r) => r.type.endsWith("AccountPart") && r.name === name).pop()?.inputs;
    expect(part("nats-app-limits")?.owner).toBe("limits");
    const limits = part("nats-app-limits")?.part as {
      limits: { tiered_limits: Record<string, { disk_storage: number }> };
    };
    expect(limits.limits.tiered_limits.R3.disk_storage).toBe(1e9);
    expect(part("foo-mappings")?.owner).toBe("foo");
    expect(part("foo-mappings")?.part).toEqual({
      mappings: { "foo.>": [{ subject: "foo.west.>", weight: 100, cluster: "west" }] },
    });
    expect(mocks.registered.filter((r) => r.type.endsWith("AccountMappings"))).toEqual([]);
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
    expect(claims.pub.allow).toContain("foo.west.>");
    expect(claims.pub.allow).toContain("$JS.API.CONSUMER.CREATE.foo-read-west.*");
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
