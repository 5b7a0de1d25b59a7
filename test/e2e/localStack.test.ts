import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { eventually, monitor } from "../support/monitor";
import { killAll, natsServerPids } from "../support/processes";
import { TestStack } from "../support/stackRunner";
import { PROJECT_DIR, tool } from "../support/tools";
import { AppCredentials, connectionAuth } from "../../components/jetstream/clientAuth";
import { secretOf } from "../support/credentials";

jest.setTimeout(600_000);

interface ClusterOutput {
  clientUrls: string[];
  monitorUrls: string[];
  region?: string;
  stretch: boolean;
}

interface MetaCluster {
  leader?: string;
  cluster_size: number;
}

const SEED_CONFIG = {
  regions: [{ name: "west" }, { name: "central" }, { name: "east" }],
  stretch: { regions: ["west", "central", "east"] },
  ports: { client: 24222, cluster: 26222, gateway: 27222, monitor: 28222 },
};

describe("the local stack through the real Pulumi CLI", () => {
  const stack = new TestStack("e2e-foundation", SEED_CONFIG);
  let clusters: Record<string, ClusterOutput>;
  let credentials: AppCredentials;
  let upOutput = "";

  afterAll(async () => {
    await stack.remove();
    killAll(natsServerPids(stack.dataDir));
  });

  const allMonitorUrls = () => Object.values(clusters).flatMap((c) => c.monitorUrls);
  const connectTo = (cluster: string) =>
    connect({ servers: clusters[cluster].clientUrls, ...connectionAuth(credentials) });

  it("brings up 12 servers in 4 clusters and reports them as stack outputs", async () => {
    const up = await stack.run("up");
    upOutput = up.output;
    expect(up.output).toContain("up of stack e2e-foundation finished");
    expect(up.code).toBe(0);

    clusters = stack.outputs().clusters as Record<string, ClusterOutput>;
    expect(Object.keys(clusters).sort()).toEqual(["central", "east", "stretch", "west"]);
    expect(clusters.west).toEqual({
      clientUrls: ["nats://127.0.0.1:24222", "nats://127.0.0.1:24223", "nats://127.0.0.1:24224"],
      monitorUrls: ["http://127.0.0.1:28222", "http://127.0.0.1:28223", "http://127.0.0.1:28224"],
      region: "west",
      stretch: false,
    });
    expect(clusters.stretch).toMatchObject({ stretch: true });
    expect(natsServerPids(stack.dataDir)).toHaveLength(12);
    credentials = stack.outputs(true).credentials as typeof credentials;
  });

  it("answers /healthz on every server", async () => {
    for (const url of allMonitorUrls()) {
      expect({ url, health: await monitor(url, "healthz") }).toEqual({ url, health: { status: "ok" } });
    }
  });

  it("connects every server by gateway to the 3 other clusters", async () => {
    for (const [name, cluster] of Object.entries(clusters)) {
      const others = Object.keys(clusters)
        .filter((c) => c !== name)
        .sort();
      for (const url of cluster.monitorUrls) {
        const outbound = await eventually(`${url} gateways`, async () => {
          const gatewayz = await monitor<{ outbound_gateways: Record<string, unknown> }>(url, "gatewayz");
          const names = Object.keys(gatewayz.outbound_gateways).sort();
          return names.length === others.length ? names : undefined;
        });
        expect({ url, outbound }).toEqual({ url, outbound: others });
      }
    }
  });

  it("forms one JetStream meta group of 12 peers with one leader", async () => {
    const metas = await Promise.all(
      allMonitorUrls().map(
        async (url) => (await monitor<{ meta_cluster: MetaCluster }>(url, "jsz")).meta_cluster,
      ),
    );
    expect(metas.map((m) => m.cluster_size)).toEqual(Array(12).fill(12));
    const leaders = new Set(metas.map((m) => m.leader));
    expect(leaders.size).toBe(1);
    expect([...leaders][0]).toMatch(/^(west|central|east|stretch)-\d$/);
  });

  it("writes nats contexts on up, the system account's among them: the README's server report runs", () => {
    const dir = path.join(stack.configHome, "nats", "context");
    const contexts = fs.readdirSync(dir).filter((f) => f.endsWith(".json"));
    expect(contexts.sort()).toEqual(
      ["central", "east", "stretch", "sys", "west", "write"].map((c) => `e2e-foundation-${c}.json`),
    );
    for (const file of fs.readdirSync(dir)) {
      expect({ file, mode: fs.statSync(path.join(dir, file)).mode & 0o777 }).toEqual({ file, mode: 0o600 });
    }
    const nats = (context: string, ...args: string[]) => {
      const result = spawnSync(tool("nats"), [`--context=e2e-foundation-${context}`, ...args], {
        encoding: "utf8",
        env: { ...process.env, ...stack.contextEnv() },
      });
      return { code: result.status, output: `${result.stdout}${result.stderr}` };
    };
    // The stack's own user is no system user: the server report needs the system context.
    expect(nats("west", "server", "report", "jetstream").output).toContain("system privileges");
    const report = nats("sys", "server", "report", "jetstream");
    expect({ code: report.code, error: report.code === 0 ? "" : report.output }).toEqual({
      code: 0,
      error: "",
    });
    // The meta group's table: one line per server, online and current.
    const everyServer = Object.keys(clusters).flatMap((c) => [1, 2, 3].map((i) => `${c}-${i}`));
    for (const server of everyServer) {
      expect(report.output).toMatch(new RegExp(`│ ${server} +│ \\w+ +│ (yes)? +│ true +│ true +│`));
    }
  });

  it("keeps every seed and private key out of plaintext state, outputs, the CLI's output and server logs", async () => {
    // Operator mode: the operator's, the accounts' and the users' NKey seeds, as only a secret
    // export shows them (an NKey seed is 58 base32 characters: S, the key's kind, 56 more).
    const exported = stack.pulumi(["stack", "export", "--show-secrets", "-s", stack.name]).output;
    const seeds = [...new Set([...exported.matchAll(/S[OAU][A-Z2-7]{56}/g)].map((m) => m[0]))];
    expect(seeds.length).toBeGreaterThanOrEqual(5);
    expect(seeds).toContain(secretOf(credentials));
    // TLS: the CA's and every server's private key, by the longest base64 line of each.
    const keys = [...exported.matchAll(/-----BEGIN PRIVATE KEY-----(.*?)-----END PRIVATE KEY-----/g)].map(
      (m) => m[1].split("\\n").reduce((a, b) => (b.length > a.length ? b : a), ""),
    );
    const distinctKeys = [...new Set(keys)];
    expect(distinctKeys.length).toBe(13);
    const secrets = [...seeds, ...distinctKeys];
    const leaks = (text: string) => secrets.filter((secret) => text.includes(secret)).length;
    expect(leaks(JSON.stringify(stack.outputs()))).toBe(0);
    expect(leaks(upOutput)).toBe(0);
    const preview = await stack.run("preview");
    expect(preview.code).toBe(0);
    expect(leaks(preview.output)).toBe(0);
    const textFiles = (dir: string, keep: (file: string) => boolean) =>
      fs
        .readdirSync(dir, { recursive: true, encoding: "utf8" })
        .map((f) => path.join(dir, f))
        .filter((f) => fs.statSync(f).isFile() && keep(f));
    const stateDir = path.join(PROJECT_DIR, ".pulumi-state", "backend");
    const logs = textFiles(stack.dataDir, (f) => f.endsWith(".log"));
    expect(logs.length).toBeGreaterThanOrEqual(12);
    for (const file of [...textFiles(stateDir, () => true), ...logs]) {
      expect({ file, leaks: leaks(fs.readFileSync(file, "utf8")) }).toEqual({ file, leaks: 0 });
    }
  });

  it("notices a killed region on refresh and restores it, data intact, on the next up", async () => {
    const nc = await connectTo("west");
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: "e2e-west",
      subjects: ["e2e.west.>"],
      num_replicas: 3,
      placement: { cluster: "west", tags: [] },
    });
    const js = jetstream(nc);
    for (let i = 0; i < 10; i++) await js.publish(`e2e.west.${i}`, `message ${i}`);
    await nc.close();

    const westDirs = ["west-1", "west-2", "west-3"].map((s) => path.join(stack.dataDir, s) + "/");
    killAll(westDirs.flatMap((dir) => natsServerPids(dir)));
    await eventually("west to die", async () =>
      natsServerPids(stack.dataDir).length === 9 ? true : undefined,
    );

    const refresh = await stack.run("refresh");
    expect(refresh.code).toBe(0);
    for (const server of ["west-1", "west-2", "west-3"]) {
      expect(refresh.output).toMatch(new RegExp(`Server nats-west-${server} updated .*\\[diff: ~running\\]`));
    }
    expect(refresh.output).toMatch(/~ 3 updated/);

    const up = await stack.run("up");
    expect(up.code).toBe(0);
    expect(up.output).toMatch(/~ 3 updated/);
    expect(natsServerPids(stack.dataDir)).toHaveLength(12);

    const again = await connectTo("west");
    const messages = await eventually("the west stream to be back", async () => {
      const info = await (await jetstreamManager(again)).streams.info("e2e-west");
      return info.state.messages;
    });
    await again.close();
    expect(messages).toBe(10);
  });

  it("stops every process and removes the data directory on destroy", async () => {
    const down = await stack.run("down");
    expect(down.code).toBe(0);
    expect(natsServerPids(stack.dataDir)).toEqual([]);
    expect(fs.existsSync(stack.dataDir)).toBe(false);
    expect(fs.readdirSync(path.join(stack.configHome, "nats", "context"))).toEqual([]);
  });
});

describe("an invalid topology through the real Pulumi CLI", () => {
  const stack = new TestStack("e2e-invalid", {
    regions: [{ name: "west" }, { name: "west" }, { name: "east.1" }],
    stretch: { regions: ["west", "east.1"] },
  });
  afterAll(() => stack.remove());

  it("fails at preview, naming every bad field, and creates nothing", async () => {
    const preview = await stack.run("preview");
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/regions\[1\]\.name: duplicate region "west"/);
    expect(preview.output).toMatch(/regions\[2\]\.name: "east\.1" is not a valid NATS subject token/);
    expect(preview.output).toMatch(/stretch\.regions: a stretch cluster needs at least 3 regions/);
    expect(fs.existsSync(stack.dataDir)).toBe(false);
  });
});
