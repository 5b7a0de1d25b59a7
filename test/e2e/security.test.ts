import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import { AppCredentials, connectionAuth } from "../../components/jetstream/clientAuth";
import { changeAccountPart } from "../../components/jetstream/accountClaims";
import type { AccountPartInputs } from "../../components/jetstream/accountPartProvider";
import { closeAllSessions } from "../../components/jetstream/connection";
import { createCertificateAuthority, issueServerCertificate } from "../../components/credentials/x509";
import { eventually, monitor } from "../support/monitor";
import { killAll, natsServerPids } from "../support/processes";
import { TestStack } from "../support/stackRunner";
import { seedTopology } from "../support/topologies";
import { tool } from "../support/tools";

jest.setTimeout(900_000);

const REGIONS = ["west", "central", "east"];
const BASE = {
  ...seedTopology(),
  ports: { client: 25222, cluster: 25322, gateway: 25422, monitor: 25522 },
  virtualStreams: [
    { name: "foo", consistency: "eventual" },
    { name: "bar", consistency: "ordered" },
  ],
  applications: [
    { name: "orders", virtualStreams: ["foo"] },
    { name: "audit", virtualStreams: ["bar"] },
  ],
};

/** After the revocation and link tests: audit removed, baz added. */
const GROWN = {
  ...BASE,
  applications: [BASE.applications[0]],
  virtualStreams: [...BASE.virtualStreams, { name: "baz", consistency: "eventual" }],
};
/** After the certificate renewal test. */
const RENEWED = { ...GROWN, security: { tls: { validity: "1000h" } } };
/** A server outside the stack, on ports past the stack's 12 servers of each kind. */
const ROGUE_PORTS = { client: 25290, cluster: 25390, gateway: 25490, monitor: 25590 };

interface Varz {
  start: string;
  config_load_time: string;
  tls_required?: boolean;
  tls_cert_not_after?: string;
  cluster: { tls_cert_not_after?: string; tls_verify?: boolean };
  gateway: { tls_cert_not_after?: string; tls_verify?: boolean };
}

/** Opens a TLS connection to a route or gateway port presenting `cert`; resolves with its local port once closed. */
function presentCertificate(
  port: number,
  caPem: string,
  cert: { certPem: string; keyPem: string },
): Promise<number> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      ca: caPem,
      cert: cert.certPem,
      key: cert.keyPem,
    });
    let localPort = 0;
    socket.on("connect", () => (localPort = socket.localPort ?? 0));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(localPort));
    setTimeout(() => socket.destroy(), 10_000);
  });
}

type Users = Record<string, Record<string, AppCredentials>>;
interface Cluster {
  clientUrls: string[];
  monitorUrls: string[];
}

/**
 * Operator mode through the real Pulumi CLI: users per application and region, with the server's
 * own refusals for everything outside their permissions; revocation; account links pushed as
 * account JWTs, with no server restarted and no file written.
 */
describe("operator mode: per-region users, revocation and account links as account JWTs", () => {
  const stack = new TestStack("e2e-security", BASE);
  const connections: NatsConnection[] = [];
  let users: Users;
  let clusters: Record<string, Cluster>;

  const userConnection = async (app: string, region: string, cluster = region, reconnect = true) => {
    const nc = await connect({
      servers: clusters[cluster].clientUrls,
      reconnect,
      ...connectionAuth(users[app][region]),
    });
    connections.push(nc);
    return nc;
  };

  /** Publishes and returns the server's refusal of it, as the client's connection reports it. */
  const refusal = async (nc: NatsConnection, subject: string): Promise<string> => {
    const errors: string[] = [];
    const watching = (async () => {
      for await (const status of nc.status()) {
        if (status.type === "error") errors.push(String((status as { error: unknown }).error));
      }
    })();
    nc.publish(subject, "denied?");
    await nc.flush();
    const found = await eventually(`the server's refusal of ${subject}`, async () => errors[0]);
    void watching;
    return found;
  };

  beforeAll(async () => {
    const up = await stack.run("up", 300_000);
    expect({ code: up.code, output: up.code === 0 ? "" : up.output }).toEqual({ code: 0, output: "" });
    const outputs = stack.outputs(true);
    users = outputs.users as Users;
    clusters = outputs.clusters as Record<string, Cluster>;
  });

  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    await closeAllSessions();
    await stack.remove();
    killAll(natsServerPids(stack.dataDir));
  });

  it("gives each application a user per region, whose creds let it publish and consume there", async () => {
    expect(Object.keys(users.orders).sort()).toEqual([...REGIONS].sort());
    for (const region of REGIONS) {
      const nc = await userConnection("orders", region);
      const ack = await jetstream(nc).publish("foo.order", `from ${region}`, { msgID: `order-${region}` });
      expect(ack.stream).toBe(`foo-write-${region}`);
      // By the virtual name, which is the name of the region account's own stream.
      const consumer = await jetstream(nc).consumers.get("foo");
      const message = await eventually(`a message in ${region}'s read stream`, () =>
        consumer.next({ expires: 2000 }).then((m) => m ?? undefined),
      );
      expect(message.subject).toBe("foo.order");
    }
  });

  it("refuses, in the server's own words, what a region's user was not given", async () => {
    const west = await userConnection("orders", "west");
    // Another application's virtual stream.
    expect(await refusal(west, "bar.x")).toMatch(/Permissions Violation for Publish to "bar\.x"/);
    // Deleting or purging a stream: the API subjects are not the user's.
    const westJsm = await jetstreamManager(await userConnection("orders", "west"), { checkAPI: false });
    await expect(westJsm.streams.delete("foo")).rejects.toThrow(/permissions violation/i);
    await expect(westJsm.streams.purge("foo")).rejects.toThrow(/permissions violation/i);
  });

  it("keeps a region's writes in its own write stream, on another region's raw subject or servers", async () => {
    const west = await userConnection("orders", "west");
    const ack = await jetstream(west).publish("foo.east.x", "raw?", { msgID: "raw-east" });
    // West's account leads all of foo.> into west's write stream: east's is out of reach.
    expect(ack.stream).toBe("foo-write-west");
    // The user's region is its account, not the servers it reaches.
    const inEast = await userConnection("orders", "west", "east");
    expect(
      (await jetstream(inEast).publish("foo.x", "through east", { msgID: "west-via-east" })).stream,
    ).toBe("foo-write-west");
  });

  it("refuses a removed application's user on every server within seconds, live connections too", async () => {
    // Without reconnecting: the server closing it is what is measured.
    const live = await userConnection("audit", "central", "central", false);
    const closed = live.closed();
    const audit = users.audit;
    const removal = new TestStack("e2e-security", {
      ...BASE,
      applications: BASE.applications.filter((a) => a.name !== "audit"),
    });
    const started = Date.now();
    const up = await removal.run("up", 300_000);
    const upMs = Date.now() - started;
    expect({ code: up.code, output: up.code === 0 ? "" : up.output }).toEqual({ code: 0, output: "" });
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    await eventually("the live connection closed by the server", async () => (isClosed ? true : undefined));
    const servers = Object.values(clusters).flatMap((c) => c.clientUrls);
    for (const server of servers) {
      const refused = await connect({
        servers: server,
        reconnect: false,
        ...connectionAuth(audit.west),
      }).then(
        (nc) => nc.close().then(() => "connected"),
        (e: Error) => e.message,
      );
      expect({ server, refused }).toEqual({
        server,
        refused: expect.stringMatching(/authorization|revoked/i),
      });
    }
    console.log(
      `audit's users refused on all ${servers.length} servers ${Date.now() - started} ms after up began ` +
        `(up itself, refresh included, took ${upMs} ms)`,
    );
  });

  it("changes account links on every server by pushed account JWTs: no restart, no file", async () => {
    const pidsBefore = natsServerPids(stack.dataDir).sort();
    const grown = new TestStack("e2e-security", GROWN);
    const started = Date.now();
    const up = await grown.run("up", 300_000);
    const upMs = Date.now() - started;
    expect({ code: up.code, output: up.code === 0 ? "" : up.output }).toEqual({ code: 0, output: "" });
    const admins = stack.outputs(true).regionCredentials as Record<string, AppCredentials>;
    for (const region of REGIONS) {
      const nc = await connect({ servers: clusters[region].clientUrls, ...connectionAuth(admins[region]) });
      connections.push(nc);
      const ack = await jetstream(nc).publish("baz.x", region, { msgID: `baz-${region}` });
      expect(ack.stream).toBe(`baz-write-${region}`);
    }
    console.log(
      `baz's links served in every region ${Date.now() - started} ms after up began ` +
        `(up itself, with baz's six streams, took ${upMs} ms)`,
    );
    expect(natsServerPids(stack.dataDir).sort()).toEqual(pidsBefore);
    const linkFiles = fs
      .readdirSync(stack.dataDir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.split(path.sep).includes("links"));
    expect(linkFiles).toEqual([]);
  });

  it("refuses, in the server's own words, a client that does not speak TLS", async () => {
    const { localPort, info } = await new Promise<{ localPort: number; info: string }>((resolve, reject) => {
      const socket = net.connect(25222, "127.0.0.1");
      let localPort = 0;
      socket.on("connect", () => (localPort = socket.localPort ?? 0));
      let received = "";
      socket.on("data", (data) => {
        received += data.toString();
        if (received.includes("\r\n")) socket.write('CONNECT {"verbose":true}\r\nPING\r\n');
      });
      socket.on("error", reject);
      socket.on("close", () => resolve({ localPort, info: received }));
      setTimeout(() => socket.destroy(new Error("the server kept a plain-text client for 10 s")), 10_000);
    });
    expect(info).toMatch(/"tls_required":true/);
    const closed = await eventually("the server's record of the refused connection", async () => {
      const connz = await monitor<{ connections: { port: number; reason?: string }[] }>(
        clusters.west.monitorUrls[0],
        "connz?state=closed&limit=1024",
      );
      return connz.connections.find((c) => c.port === localPort);
    });
    expect(closed.reason).toBe("TLS Handshake Failure");
  });

  it("refuses a route and a gateway whose certificate another CA signed", async () => {
    const stackCa = (stack.outputs(true).credentials as AppCredentials).ca as string;
    const foreignCa = await createCertificateAuthority("foreign CA", 3_600_000);
    const names = { ipAddresses: ["127.0.0.1"], dnsNames: ["localhost"] };
    const rogueCert = await issueServerCertificate(foreignCa, "rogue", names, 3_600_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-rogue-"));
    const file = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
      return path.join(dir, name);
    };
    // It trusts the stack's CA, so that only the stack's verdict on its certificate is tested.
    const rogueTls = {
      ca_file: file("ca.pem", stackCa),
      cert_file: file("cert.pem", rogueCert.certPem),
      key_file: file("key.pem", rogueCert.keyPem),
      verify: true,
      timeout: 10,
    };
    const westLog = path.join(stack.dataDir, "west-1", "nats-server.log");
    const logBefore = fs.readFileSync(westLog, "utf8").length;
    const config = {
      server_name: "rogue",
      listen: `127.0.0.1:${ROGUE_PORTS.client}`,
      http: `127.0.0.1:${ROGUE_PORTS.monitor}`,
      // A cluster of its own (a gateway must carry its cluster's name) whose route dials west-1.
      cluster: {
        name: "rogue",
        listen: `127.0.0.1:${ROGUE_PORTS.cluster}`,
        routes: ["nats-route://127.0.0.1:25322"],
        tls: rogueTls,
      },
      gateway: {
        name: "rogue",
        listen: `127.0.0.1:${ROGUE_PORTS.gateway}`,
        gateways: [{ name: "west", urls: ["nats://127.0.0.1:25422"] }],
        tls: rogueTls,
      },
    };
    const rogue = childProcess.spawn(
      tool("nats-server"),
      ["-c", file("rogue.json", JSON.stringify(config))],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let rogueOutput = "";
    rogue.stdout.on("data", (d) => (rogueOutput += d));
    rogue.stderr.on("data", (d) => (rogueOutput += d));
    try {
      // A server offers only a certificate that the peer's CA list names: the rogue's goes unsent.
      const refusals = await eventually("west-1's refusals of the rogue route and gateway", async () => {
        if (rogue.exitCode !== null) throw new Error(`the rogue server exited: ${rogueOutput}`);
        const lines = fs.readFileSync(westLog, "utf8").slice(logBefore).split("\n");
        const route = lines.find((l) => /TLS route handshake error/.test(l));
        const gateway = lines.find((l) => /TLS gateway handshake error/.test(l));
        return route && gateway ? { route, gateway } : undefined;
      });
      expect(refusals.route).toMatch(/client didn't provide a certificate/);
      expect(refusals.gateway).toMatch(/client didn't provide a certificate/);
      const rogueMonitor = `http://127.0.0.1:${ROGUE_PORTS.monitor}`;
      expect((await monitor<{ num_routes: number }>(rogueMonitor, "routez")).num_routes).toBe(0);
      const westMonitor = clusters.west.monitorUrls[0];
      const westRoutes = await monitor<{ routes: { remote_name: string }[] }>(westMonitor, "routez");
      expect(westRoutes.routes.map((r) => r.remote_name)).not.toContain("rogue");
      const westGateways = await monitor<{ inbound_gateways: Record<string, unknown> }>(
        westMonitor,
        "gatewayz",
      );
      expect(Object.keys(westGateways.inbound_gateways)).not.toContain("rogue");
      // Presented anyway, the certificate is refused for its issuer.
      for (const [kind, port] of [
        ["route", 25322],
        ["gateway", 25422],
      ] as const) {
        const localPort = await presentCertificate(port, stackCa, rogueCert);
        const refusal = await eventually(`west-1's refusal of the ${kind} certificate`, async () =>
          fs
            .readFileSync(westLog, "utf8")
            .slice(logBefore)
            .split("\n")
            .find((l) => l.includes(`:${localPort} `) && l.includes(`TLS ${kind} handshake error`)),
        );
        expect(refusal).toMatch(/certificate signed by unknown authority \(CN=rogue/);
      }
    } finally {
      rogue.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("renews every server's certificates by reload when their validity changes: no restart, links stay up", async () => {
    const monitors = Object.values(clusters).flatMap((c) => c.monitorUrls);
    const varz = () => Promise.all(monitors.map((url) => monitor<Varz>(url, "varz")));
    const before = await varz();
    const pidsBefore = natsServerPids(stack.dataDir).sort();
    const renewed = new TestStack("e2e-security", RENEWED);
    const started = Date.now();
    const up = await renewed.run("up", 300_000);
    expect({ code: up.code, output: up.code === 0 ? "" : up.output }).toEqual({ code: 0, output: "" });
    const after = await varz();
    const expected = started + 1000 * 3_600_000;
    after.forEach((server, i) => {
      expect(server.start).toBe(before[i].start);
      expect(server.config_load_time).not.toBe(before[i].config_load_time);
      expect(server.cluster.tls_verify).toBe(true);
      expect(server.gateway.tls_verify).toBe(true);
      for (const notAfter of [
        server.tls_cert_not_after,
        server.cluster.tls_cert_not_after,
        server.gateway.tls_cert_not_after,
      ]) {
        // Within the minute the up took, give or take the certificate's whole seconds.
        expect(Math.abs(Date.parse(notAfter as string) - expected)).toBeLessThan(120_000);
      }
    });
    expect(natsServerPids(stack.dataDir).sort()).toEqual(pidsBefore);
    // New connections are made with the new certificates: a client still trusts the same CA.
    const nc = await userConnection("orders", "east");
    expect((await jetstream(nc).publish("foo.renewed", "after renewal")).stream).toBe("foo-write-east");
    for (const url of monitors) {
      await eventually(`${url} healthy after the renewal`, async () =>
        (await fetch(`${url}/healthz`)).ok ? true : undefined,
      );
    }
  });

  it("shows an import changed by hand as drift on refresh, and puts it back on the next up", async () => {
    const state = JSON.parse(
      stack.pulumi(["stack", "export", "--show-secrets", "-s", stack.name]).output,
    ) as {
      deployment: { resources: { urn: string; outputs?: Record<string, unknown> }[] };
    };
    const outputs = state.deployment.resources.find((r) =>
      r.urn.endsWith("AccountPart::foo-links-imports-app-west"),
    )?.outputs;
    // An exported secret is `{ <signature>, plaintext: <its JSON> }`.
    const revealed = (value: unknown) => {
      const plaintext = (value as { plaintext?: string }).plaintext;
      return plaintext === undefined ? value : JSON.parse(plaintext);
    };
    const foo = { target: revealed(outputs?.target), part: revealed(outputs?.part) } as AccountPartInputs;
    // What an operator with the operator key might push by hand: west's publishes led to east's
    // write stream.
    const [westWrites] = (foo.part.imports ?? []).filter((i) => i.local_subject === "foo.>");
    await changeAccountPart(foo.target, foo.part, {
      imports: [{ ...westWrites, subject: "foo.east.>" }],
    });
    const latest = new TestStack("e2e-security", RENEWED);
    const refresh = await latest.run("refresh");
    expect(refresh.code).toBe(0);
    expect(refresh.output).toMatch(/AccountPart foo-links-imports-app-west updated .*\[diff: ~part\]/);
    const up = await latest.run("up");
    expect({ code: up.code, output: up.code === 0 ? "" : up.output }).toEqual({ code: 0, output: "" });
    expect(up.output).toMatch(/AccountPart foo-links-imports-app-west updated/);
    const nc = await userConnection("orders", "west");
    expect((await jetstream(nc).publish("foo.mended", "after up")).stream).toBe("foo-write-west");
  });
});
