import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { eventually } from "../support/monitor";
import { killAll, natsServerPids, stackPids } from "../support/processes";
import { AppConfigs, RegionClients } from "../support/regionClients";
import { RunResult, TestStack } from "../support/stackRunner";
import { PROJECT_DIR, tool } from "../support/tools";
import { seedTopology } from "../support/topologies";
import { AppCredentials, connectionAuth } from "../../components/jetstream/clientAuth";

jest.setTimeout(900_000);

const REGIONS = ["west", "central", "east"];
const CONFIG = {
  ...seedTopology(),
  ports: { client: 18222, cluster: 18322, gateway: 18422, monitor: 18522 },
  virtualStreams: [{ name: "foo", consistency: "eventual" }],
};

/**
 * Whatever state a user's stack is in, `down` takes it all away and `up` brings it back: the
 * failure paths of issue 7, each from a stack that `up` brought up.
 */
describe("every failure path converges, through the real Pulumi CLI", () => {
  const stack = new TestStack("e2e-failures", CONFIG);
  const serverDir = (server: string) => path.join(stack.dataDir, server);
  const pidsOf = (...servers: string[]) =>
    servers.flatMap((s) => natsServerPids(path.join(serverDir(s), "nats-server.json")));
  const expectSuccess = (result: RunResult) =>
    expect({ code: result.code, output: result.code === 0 ? "" : result.output }).toEqual({
      code: 0,
      output: "",
    });
  const up = async () => expectSuccess(await stack.run("up", 300_000));
  /** `down` succeeds, and leaves no server or source watcher running and nothing on disk. */
  const downLeavesNothing = async () => {
    expectSuccess(await stack.run("down", 300_000));
    expect(stackPids(stack.dataDir)).toEqual([]);
    expect(fs.existsSync(stack.dataDir)).toBe(false);
  };
  const killAndWait = async (pids: number[]) => {
    killAll(pids);
    await eventually("the servers to die", async () =>
      natsServerPids(stack.dataDir).some((pid) => pids.includes(pid)) ? undefined : true,
    );
  };

  afterAll(async () => {
    await stack.remove();
    killAll(stackPids(stack.dataDir));
  });

  it("keeps west and east taking writes while central crashes right after a fresh up; then tears it down", async () => {
    await up();
    const outputs = stack.outputs(true) as {
      streams: AppConfigs;
      regionCredentials: Record<string, AppCredentials>;
    };
    const clients = new RegionClients(outputs.streams, outputs.regionCredentials);
    const survivors = ["west", "east"];
    // What an application does: publish with an id, and publish again on an error, for a bounded time.
    const firstTries: string[] = [];
    const steadyPublisher = async (region: string, stopAt: number) => {
      const { js } = await clients.client(region);
      let acked = 0;
      for (let i = 0; Date.now() < stopAt; i++) {
        const id = `${region}-${i}`;
        const deadline = Date.now() + 10_000;
        for (let attempt = 0; ; attempt++) {
          try {
            await js.publish("foo.steady", id, { msgID: id, timeout: 2_000 });
            break;
          } catch (error) {
            if (attempt === 0) firstTries.push(`${id}: ${(error as Error).message}`);
            if (Date.now() > deadline) throw new Error(`${id} refused for 10 s: ${(error as Error).message}`);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        acked++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return acked;
    };
    try {
      const stopAt = Date.now() + 12_000;
      const publishing = Promise.all(survivors.map((region) => steadyPublisher(region, stopAt)));
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await killAndWait(pidsOf("central-1", "central-2", "central-3"));
      const acked = await publishing;
      console.log(
        `while central crashed: ${acked.join(" and ")} publishes acknowledged in ${survivors.join(" and ")}; ` +
          `${firstTries.length} needed a second try${firstTries.length ? `: ${firstTries.slice(0, 3).join("; ")}` : ""}`,
      );
      expect(acked.every((n) => n > 0)).toBe(true);
    } finally {
      await clients.close();
    }
    await downLeavesNothing();
  });

  it("tears down a stack whose servers are all dead", async () => {
    await up();
    await killAndWait(natsServerPids(stack.dataDir));
    await downLeavesNothing();
  });

  it("recognises a server restarted by hand on refresh, and stops it on down", async () => {
    await up();
    const [old] = pidsOf("west-1");
    await killAndWait([old]);
    const configFile = path.join(serverDir("west-1"), "nats-server.json");
    const restarted = spawn(tool("nats-server"), ["-c", configFile], { detached: true, stdio: "ignore" });
    restarted.unref();
    await eventually("the restarted server to run", async () =>
      pidsOf("west-1").includes(restarted.pid as number) ? true : undefined,
    );
    const refresh = await stack.run("refresh");
    expectSuccess(refresh);
    expect(refresh.output).not.toMatch(/nats-west-west-1 updated .*running/);
    await downLeavesNothing();
  });

  it("tears down a stack whose data directory was removed by hand", async () => {
    await up();
    // The servers go on writing to their stores meanwhile: a folder may refill while it is removed.
    fs.rmSync(stack.dataDir, { recursive: true, force: true, maxRetries: 10 });
    await downLeavesNothing();
  });

  it("converges after an `up` killed with SIGKILL mid-way: no orphan server, every stream there", async () => {
    // Killed once some servers run and others are still starting.
    const killed = await stack.run("up", 300_000, {
      killWhen: () => natsServerPids(stack.dataDir).length >= 5,
    });
    expect(killed.code).toBeNull();
    // The CLI starts its provider plugins in their own process group: the kill leaves them running,
    // parentless. They hold nothing the next `up` needs; the test does not leave them behind.
    killAll(orphanedProviders());
    await up();
    expect(natsServerPids(stack.dataDir)).toHaveLength(12);
    const outputs = stack.outputs(true) as {
      clusters: Record<string, { clientUrls: string[] }>;
      credentials: AppCredentials;
      regionCredentials: Record<string, AppCredentials>;
    };
    const streamsOf = async (credentials: AppCredentials) => {
      const nc = await connect({ servers: outputs.clusters.east.clientUrls, ...connectionAuth(credentials) });
      try {
        const names: string[] = [];
        for await (const name of (await jetstreamManager(nc)).streams.names()) names.push(name);
        return names.sort();
      } finally {
        await nc.close();
      }
    };
    expect(await streamsOf(outputs.credentials)).toEqual(REGIONS.map((r) => `foo-write-${r}`).sort());
    for (const region of REGIONS) {
      expect({ region, streams: await streamsOf(outputs.regionCredentials[region]) }).toEqual({
        region,
        streams: ["foo"],
      });
    }
    const preview = await stack.run("preview");
    expectSuccess(preview);
    expect(preview.output).not.toMatch(/\((update|replace|create|delete)\)/);
    await downLeavesNothing();
  });
});

/**
 * Dynamic-provider processes of this checkout whose pulumi CLI is gone: the plugin shim, adopted
 * by init, and the Node.js process under it.
 */
function orphanedProviders(): number[] {
  const processes = fs
    .readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .flatMap((entry) => {
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
        const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        return [{ pid: Number(entry), parent, cmdline: fs.readFileSync(`/proc/${entry}/cmdline`, "utf8") }];
      } catch {
        return []; // Ended while we looked.
      }
    });
  const shim = path.join(PROJECT_DIR, ".tools", "bin", "pulumi-resource-pulumi-nodejs");
  const shims = processes.filter((p) => p.parent === 1 && p.cmdline.includes(shim)).map((p) => p.pid);
  return [...shims, ...processes.filter((p) => shims.includes(p.parent)).map((p) => p.pid)];
}
