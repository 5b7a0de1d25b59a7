import { applicationConfig, applicationEnv } from "../../components/applicationConfig";
import type { RegionAppConfig } from "../../components/virtualStream";

const access = (region: string, name: string): RegionAppConfig => ({
  clientUrls: [`nats://${region}-1:4222`, `nats://${region}-2:4222`],
  account: `APP-${region}`,
  publishSubject: `${name}.>`,
  publishSubjects: [`${name}.>`, `${name}-audit.>`],
  consumeStream: name,
  writeStream: `${name}-write-${region}`,
});
const everywhere = (name: string) => ({ west: access("west", name), east: access("east", name) });
const creds = { creds: "-----BEGIN NATS USER JWT-----\n...", ca: "-----BEGIN CERTIFICATE-----\n..." };

describe("an application's config from a stack's outputs", () => {
  it("gives the region's URLs and, per virtual stream, the name to consume and the subjects to publish", () => {
    const config = applicationConfig({
      region: "east",
      credentials: creds,
      virtualStreams: { orders: everywhere("orders"), "audit-log": everywhere("audit-log") },
    });
    expect(config).toEqual({
      region: "east",
      urls: ["nats://east-1:4222", "nats://east-2:4222"],
      credentials: creds,
      streams: {
        "audit-log": { stream: "audit-log", publishSubjects: ["audit-log.>", "audit-log-audit.>"] },
        orders: { stream: "orders", publishSubjects: ["orders.>", "orders-audit.>"] },
      },
    });
  });

  it("refuses a region that does not carry one of the virtual streams, naming it", () => {
    const args = { credentials: creds, virtualStreams: { orders: everywhere("orders") } };
    expect(() => applicationConfig({ ...args, region: "central" })).toThrow(
      'region: "central" carries no virtual stream "orders"',
    );
    expect(() => applicationConfig({ ...args, region: "east", virtualStreams: {} })).toThrow(
      "virtualStreams: give the application at least one",
    );
  });

  it("as environment: the nats CLI's own variables, with paths for the creds and CA, and a pair per stream", () => {
    const config = applicationConfig({
      region: "west",
      credentials: creds,
      virtualStreams: { orders: everywhere("orders") },
    });
    expect(applicationEnv(config, { creds: "/run/app.creds", ca: "/run/ca.pem" })).toEqual({
      NATS_URL: "nats://west-1:4222,nats://west-2:4222",
      NATS_CREDS: "/run/app.creds",
      NATS_CA: "/run/ca.pem",
      NATS_STREAM_ORDERS: "orders",
      NATS_SUBJECTS_ORDERS: "orders.>,orders-audit.>",
    });
    expect(() => applicationEnv(config, { ca: "/run/ca.pem" })).toThrow("NATS_CREDS");
    const staticUser = applicationConfig({
      region: "west",
      credentials: { user: "app", password: "s3cret" },
      virtualStreams: { orders: everywhere("orders") },
    });
    expect(applicationEnv(staticUser, {})).toMatchObject({ NATS_USER: "app", NATS_PASSWORD: "s3cret" });
  });

  it("refuses two virtual streams that would share a variable, rather than drop one", () => {
    const config = applicationConfig({
      region: "west",
      credentials: creds,
      virtualStreams: { "a-b": everywhere("a-b"), a_b: everywhere("a_b") },
    });
    expect(() => applicationEnv(config, { creds: "/c", ca: "/ca" })).toThrow(
      'virtual streams "a-b" and "a_b" both become NATS_STREAM_A_B: use json',
    );
  });
});
