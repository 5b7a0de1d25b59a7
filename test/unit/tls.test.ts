import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import { NatsServerConfig } from "../../components/model/serverConfig";
import { renewalDue, serverAltNames } from "../../components/model/security/tls";
import { SuperCluster, SuperClusterArgs } from "../../components/superCluster";
import { caProblems, createCertificateAuthority } from "../../components/credentials/x509";
import {
  serverCertificateProvider,
  ServerCertificateInputs,
  ServerCertificateState,
} from "../../components/credentials/serverCertificate";
import { recordingMocks, unwrapSecret } from "../support/mocks";
import { seedTopology } from "../support/topologies";

const mocks = recordingMocks({
  publicKey: "AKEY",
  seed: "SAMOCKSEED",
  jwt: "eyJ",
  certPem: "CA PEM",
  keyPem: "KEY",
  result: "generated-password",
});
const local = { dataDir: "/tmp/nats-global-unit", natsServerBinary: "/usr/bin/true" };
const HOUR_MS = 3_600_000;

function outputOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

const cluster = (security: SuperClusterArgs["security"], extra: Partial<SuperClusterArgs> = {}) =>
  new SuperCluster("nats", { ...seedTopology(), local, security, ...extra });

const configOf = (server: string) =>
  unwrapSecret(mocks.registered.find((r) => r.name === `nats-${server}`)?.inputs.config) as NatsServerConfig;

describe("TLS on a super-cluster", () => {
  it("is on in operator mode: TLS for clients, mutual TLS for routes and gateways", async () => {
    await outputOf(cluster({ mode: "operator" }).clusters);
    const config = configOf("west-west-1");
    const files = {
      ca_file: "/tmp/nats-global-unit/west-1/tls/ca.pem",
      cert_file: "/tmp/nats-global-unit/west-1/tls/server.pem",
      key_file: "/tmp/nats-global-unit/west-1/tls/server-key.pem",
    };
    expect(config.tls).toEqual({ ...files, timeout: 10 });
    expect(config.cluster.tls).toEqual({ ...files, timeout: 10, verify: true });
    expect(config.gateway.tls).toEqual({ ...files, timeout: 10, verify: true });
    // Monitoring binds loopback only: plain HTTP stays.
    expect(config.http).toBe("127.0.0.1:8222");
    expect(config.https).toBeUndefined();
  });

  it("issues one certificate per server, naming every address its peers dial, from one generated CA", async () => {
    await outputOf(
      cluster(
        { mode: "operator", tls: { validity: "720h" } },
        {
          local: {
            ...local,
            network: "namespaces",
            networkOctet: 90,
            latency: "10ms",
            toxiproxyBinary: "/bin/true",
          },
        },
      ).clusters,
    );
    expect(
      mocks.registered.filter((r) => r.type.endsWith("CertificateAuthority")).map((r) => r.name),
    ).toEqual(["nats-ca"]);
    const certs = mocks.registered.filter((r) => r.type.endsWith("ServerCertificate"));
    expect(certs).toHaveLength(12);
    const stretchEast = certs.find((r) => r.name === "nats-stretch-3-cert")?.inputs;
    // Its own address in east's namespace, and the latency proxy that its route and gateway peers dial.
    expect(stretchEast).toMatchObject({
      commonName: "stretch-3",
      ipAddresses: ["127.90.3.1", "127.90.3.2"],
      dnsNames: ["localhost"],
      validForMs: 720 * HOUR_MS,
    });
    const servers = mocks.registered.filter((r) => r.type.endsWith("local:Server"));
    expect(servers.every((s) => s.inputs.tls !== undefined)).toBe(true);
  });

  it("gives clients the CA: the stack's connections and its credentials output", async () => {
    const sc = cluster({ mode: "operator" });
    expect(await outputOf(sc.connection("east"))).toMatchObject({ tls: { ca: "CA PEM" } });
    expect(await outputOf(sc.appCredentials)).toMatchObject({ ca: "CA PEM" });
  });

  it("is off in static mode unless asked for", async () => {
    await outputOf(cluster(undefined).clusters);
    expect(configOf("west-west-1").tls).toBeUndefined();
  });

  it("is off in operator mode with tls: false", async () => {
    await outputOf(cluster({ mode: "operator", tls: false }).clusters);
    expect(configOf("west-west-1").gateway.tls).toBeUndefined();
    expect(mocks.registered.filter((r) => r.type.endsWith("ServerCertificate"))).toEqual([]);
  });

  it("is on in static mode with tls given", async () => {
    await outputOf(cluster({ mode: "static", tls: {} }).clusters);
    expect(configOf("east-east-1").cluster.tls?.verify).toBe(true);
  });

  it.each<[string, SuperClusterArgs["security"], string]>([
    [
      "a validity that is not a duration",
      { mode: "operator", tls: { validity: "90 days" } },
      "security.tls.validity",
    ],
    ["a validity under an hour", { mode: "operator", tls: { validity: "10m" } }, "security.tls.validity"],
    [
      "a CA cert without its key",
      { mode: "operator", tls: { ca: { cert: "x" } as never } },
      "security.tls.ca",
    ],
  ])("refuses %s at preview, naming the field", (_what, security, field) => {
    expect(() => cluster(security)).toThrow(field);
  });

  it("uses a CA the user gives, and names the field when its key does not match", async () => {
    const given = await createCertificateAuthority("given", 24 * HOUR_MS);
    const other = await createCertificateAuthority("other", 24 * HOUR_MS);
    const sc = cluster({ mode: "operator", tls: { ca: { cert: given.certPem, key: given.keyPem } } });
    expect(await outputOf(sc.tlsCa as pulumi.Output<string>)).toBe(given.certPem);
    expect(mocks.registered.filter((r) => r.type.endsWith("CertificateAuthority"))).toEqual([]);
    expect(caProblems(given.certPem, other.keyPem)).toEqual([
      { field: "key", message: expect.stringContaining("does not belong to the CA certificate") },
    ]);
    expect(caProblems("not a pem", given.keyPem)[0].field).toBe("cert");
  });
});

describe("server certificates", () => {
  const inputs = async (): Promise<ServerCertificateInputs> => {
    const ca = await createCertificateAuthority("test", 24 * HOUR_MS);
    return {
      commonName: "west-1",
      ipAddresses: ["127.0.0.1"],
      dnsNames: ["nats-west-1.example.com"],
      validForMs: 10 * HOUR_MS,
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
    };
  };

  it("are signed by the CA, for server and client use, with the planned names, valid as long as asked", async () => {
    const given = await inputs();
    const outs = (await serverCertificateProvider.create(given)).outs as ServerCertificateState;
    const cert = new crypto.X509Certificate(outs.certPem);
    const ca = new crypto.X509Certificate(given.caCertPem);
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe("IP Address:127.0.0.1, DNS:nats-west-1.example.com");
    expect(cert.checkPrivateKey(crypto.createPrivateKey(outs.keyPem))).toBe(true);
    expect(new Date(cert.validTo).getTime() - Date.now()).toBeGreaterThan(10 * HOUR_MS - 60_000);
    expect(cert.keyUsage).toEqual(expect.arrayContaining(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]));
    expect(cert.ca).toBe(false);
  });

  it("are issued again when their names or validity change, and once two thirds of their life passed", async () => {
    const given = await inputs();
    const outs = (await serverCertificateProvider.create(given)).outs as ServerCertificateState;
    const diff = (news: Partial<ServerCertificateInputs>, olds = outs) =>
      serverCertificateProvider.diff?.("west-1", olds, { ...given, ...news });
    expect(await diff({})).toEqual({ changes: false });
    expect(await diff({ ipAddresses: ["127.0.0.2"] })).toEqual({ changes: true });
    expect(await diff({ validForMs: 20 * HOUR_MS })).toEqual({ changes: true });
    const aged = { ...outs, notAfter: new Date(Date.now() + 3 * HOUR_MS).toISOString() };
    expect(await diff({}, aged)).toEqual({ changes: true });
  });

  it("are due for renewal from two thirds of their life", () => {
    const notAfter = new Date("2027-01-31T00:00:00Z");
    const validFor = 30 * 24 * HOUR_MS;
    expect(renewalDue(notAfter, validFor, new Date("2027-01-20T23:00:00Z"))).toBe(false);
    expect(renewalDue(notAfter, validFor, new Date("2027-01-21T01:00:00Z"))).toBe(true);
  });

  it("name hosts, binds and advertised addresses once, IPs apart from DNS names", () => {
    const names = serverAltNames({
      host: "nats-1.example.com",
      bind: "0.0.0.0",
      client: 4222,
      cluster: 6222,
      gateway: 7222,
      monitor: 8222,
      advertise: {
        gateway: { host: "203.0.113.7", port: 7222 },
        cluster: { host: "nats-1.example.com", port: 6222 },
      },
    });
    expect(names).toEqual({ ipAddresses: ["203.0.113.7"], dnsNames: ["nats-1.example.com"] });
  });
});
