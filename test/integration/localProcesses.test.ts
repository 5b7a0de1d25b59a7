import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { monitorUrl } from "../../components/model/endpoints";
import { LOOPBACK, loopbackAddressing } from "../../components/platforms/local/ports";

import { planSuperCluster } from "../../components/model/plan";
import { renderServerConfig } from "../../components/model/serverConfig";
import {
  serverFiles,
  serverPid,
  StartRequest,
  startServer,
  stopServer,
} from "../../components/platforms/local/processes";
import { monitor } from "../support/monitor";
import { natsServerPids } from "../support/processes";
import { tool } from "../support/tools";

// Below 32768: ports in the ephemeral range may be taken by any outgoing connection.
const PORTS = { client: 10222, cluster: 10322, gateway: 10422, monitor: 10522 };

describe("local nats-server processes", () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-proc-"))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  function request(overrides: Partial<StartRequest> = {}, folder?: string): StartRequest {
    const plan = planSuperCluster({ regions: [{ name: "solo", servers: 1 }] });
    const server = plan.clusters[0].servers[0];
    const addressing = loopbackAddressing(plan, PORTS);
    const dir = path.join(root, folder ?? server.name);
    const files = serverFiles(dir);
    const config = renderServerConfig(server, {
      plan,
      addressing,
      files: { storeDir: files.storeDir, logFile: files.logFile },
      auth: {
        app: { user: "a", password: "pa" },
        system: { user: "s", password: "ps" },
        watcher: { user: "w", password: "pw" },
      },
    });
    return {
      binary: tool("nats-server"),
      dir,
      config,
      monitorUrl: monitorUrl(addressing(server)),
      timeoutMs: 10_000,
      ...overrides,
    };
  }

  it("starts a detached server that answers, keeps the config private, and stops it", async () => {
    const req = request();
    const pid = await startServer(req);
    try {
      expect(serverPid(req.dir)).toBe(pid);
      expect(fs.statSync(serverFiles(req.dir).configFile).mode & 0o777).toBe(0o600);
      const varz = await monitor(req.monitorUrl, "varz");
      expect(varz.server_name).toBe("solo-1");
      expect(varz.tags).toEqual(["region:solo", "cloud:local", "az:solo-az1"]);
    } finally {
      await stopServer(req.dir, 5000);
    }
    expect(serverPid(req.dir)).toBeUndefined();
  });

  it("fails with the server's own words when the port is taken, leaving no process", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(PORTS.client, LOOPBACK, resolve));
    try {
      const req = request();
      await expect(startServer(req)).rejects.toThrow(/address already in use/);
      expect(natsServerPids(req.dir)).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it("fails with the server's own words when another nats-server answers on its ports, and leaves that one alone", async () => {
    const first = request();
    const firstPid = await startServer(first);
    try {
      const second = request({}, "another-stack");
      await expect(startServer(second)).rejects.toThrow(/exited during start-up:[^]*address already in use/);
      expect(natsServerPids(second.dir)).toEqual([]);
      expect(serverPid(first.dir)).toBe(firstPid);
    } finally {
      await stopServer(first.dir, 5000);
    }
  });

  it("fails with a hint when the binary is missing", async () => {
    await expect(startServer(request({ binary: path.join(root, "no-such-nats-server") }))).rejects.toThrow(
      /nats-server binary not found at .*no-such-nats-server: run `npm run setup`/,
    );
  });

  it("fails with nats-server -t's words when the config is bad, before starting anything", async () => {
    const req = request();
    const bad = request({ config: { ...req.config, listen: "127.0.0.1:not-a-port" } });
    await expect(startServer(bad)).rejects.toThrow(/nats-server rejected the config of /);
    expect(natsServerPids(bad.dir)).toEqual([]);
  });

  it("gives up on a server that never becomes ready, stopping it", async () => {
    // A monitor URL nobody answers: the server runs but readiness is never seen.
    const req = request({ monitorUrl: "http://127.0.0.1:1", timeoutMs: 1500 });
    await expect(startServer(req)).rejects.toThrow(
      /did not answer on http:\/\/127.0.0.1:1 within 1500 ms; stopped it/,
    );
    expect(natsServerPids(req.dir)).toEqual([]);
  });
});
