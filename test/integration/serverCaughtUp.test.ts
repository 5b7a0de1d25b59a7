/*
 * The rolling gate of VM platforms against real servers: after a server's machine is replaced, or
 * its machine was given new files, `pulumi up` goes on only once the server says over $SYS that it
 * runs those files and is healthy and caught up.
 */
import { closeAllSessions } from "../../components/jetstream/connection";
import {
  ServerCaughtUpInputs,
  serverCaughtUpProvider,
  ServerCaughtUpState,
} from "../../components/jetstream/serverCaughtUp";
import { FILES_DIGEST_KEY } from "../../components/model/serverConfig";
import { healthProblem, waitHealthy } from "../../components/platforms/local/health";
import { SuperClusterHarness, TEST_AUTH } from "../support/superClusterHarness";

jest.setTimeout(120_000);

const harness = new SuperClusterHarness(
  { client: 13222, cluster: 13322, gateway: 13422, monitor: 13522 },
  { regions: [{ name: "solo", servers: 3 }] },
);
const [, second] = harness.plan.clusters[0].servers;
const inputs = (incarnation: string, timeoutMs = 60_000, files?: string): ServerCaughtUpInputs => ({
  server: second.name,
  cluster: "solo",
  incarnation,
  ...(files !== undefined ? { files } : {}),
  connection: { servers: harness.clientUrls("solo"), ...TEST_AUTH.system },
  timeoutMs,
});
const secondMonitor = () => harness.monitorUrls()[1];

beforeAll(() => harness.start());
afterAll(async () => {
  await closeAllSessions();
  await harness.stop();
});

describe("the rolling gate of a replaced server", () => {
  it("does not wait on a server's first start: a new cluster is healthy only once most of it runs", async () => {
    const cluster = harness.plan.clusters[0].servers;
    await harness.stopServers(...cluster.map((s) => s.name));
    try {
      await expect(serverCaughtUpProvider.create?.(inputs("i-1", 30_000))).resolves.toMatchObject({
        id: second.name,
      });
    } finally {
      await harness.startServers(cluster);
      await waitHealthy(harness.monitorUrls(), 60_000);
    }
  });

  it("waits when made for a cluster that already runs (a stack made before the gates), until the server is back", async () => {
    await harness.stopServers(second.name);
    const passed = serverCaughtUpProvider.create?.(inputs("i-1")).then(() => Date.now());
    // Another server of the cluster answers healthy: this is no first start, and the gate is still
    // waiting once the server is back.
    await harness.startServers([second]);
    const restarted = Date.now();
    expect(await passed).toBeGreaterThanOrEqual(restarted);
  });

  it("waits until the server is back, healthy and caught up, once its machine changed", async () => {
    await harness.stopServers(second.name);
    const passed = serverCaughtUpProvider
      .update?.(second.name, inputs("i-1"), inputs("i-2"))
      .then(() => Date.now());
    await harness.startServers([second]);
    const restarted = Date.now();
    expect(await passed).toBeGreaterThanOrEqual(restarted);
    expect(await healthProblem(secondMonitor(), false)).toBeUndefined();
  });

  it("does not wait when only its settings changed, not its machine", async () => {
    await harness.stopServers(second.name);
    try {
      await expect(
        serverCaughtUpProvider.update?.(second.name, inputs("i-2", 60_000), inputs("i-2", 30_000)),
      ).resolves.toEqual({ outs: inputs("i-2", 30_000) });
    } finally {
      await harness.startServers([second]);
    }
  });

  it("waits until the server runs its new files (its varz metadata says so), on the same machine", async () => {
    const passed = serverCaughtUpProvider
      .update?.(second.name, inputs("i-2", 60_000, "files-1"), inputs("i-2", 60_000, "files-2"))
      .then(() => Date.now());
    // As the machine's agent does when nats-server cannot reload the change: a restart.
    await harness.stopServers(second.name);
    await harness.startServers([second], { [FILES_DIGEST_KEY]: "files-2" });
    const restarted = Date.now();
    expect(await passed).toBeGreaterThanOrEqual(restarted);
    await expect(
      serverCaughtUpProvider.update?.(
        second.name,
        inputs("i-2", 60_000, "files-2"),
        inputs("i-2", 2_000, "files-3"),
      ),
    ).rejects.toThrow(/runs files files-2, not yet files-3/);
  });

  it("waits for a new start where every change restarts the server, though it took the files by reload", async () => {
    // A pod: its config reloader may reload the new config (with new certificates) before the
    // StatefulSet controller replaces the pod, which restarts it.
    await harness.reloadServer(second, { [FILES_DIGEST_KEY]: "files-3" });
    const change = (timeoutMs: number) =>
      serverCaughtUpProvider.update?.(
        second.name,
        { ...inputs("files-2", 60_000, "files-2"), restarts: true },
        { ...inputs("files-3", timeoutMs, "files-3"), restarts: true },
      );
    // Healthy, with the new files, but still the server from before the change.
    await expect(change(3_000)).rejects.toThrow(
      /solo-2 is not healthy and caught up 3 s after[^:]*: took its new files by reload and has not restarted yet/,
    );
    const passed = change(60_000)?.then(() => Date.now());
    await harness.stopServers(second.name);
    await harness.startServers([second], { [FILES_DIGEST_KEY]: "files-3" });
    const restarted = Date.now();
    expect(await passed).toBeGreaterThanOrEqual(restarted);
  });

  it("waits for no restart of a server new to a running cluster, where every change restarts", async () => {
    // A pod added to a cluster that runs: it has not run before, so what runs now is it.
    await expect(
      serverCaughtUpProvider.create?.({ ...inputs("files-3", 10_000, "files-3"), restarts: true }),
    ).resolves.toMatchObject({ id: second.name });
  });

  it("passes a change whose restart came before the gate asked, as after a try that gave up", async () => {
    const before = { ...inputs("files-3", 60_000, "files-3"), restarts: true };
    const change = (timeoutMs: number) => ({ ...inputs("files-4", timeoutMs, "files-4"), restarts: true });
    await expect(serverCaughtUpProvider.update?.(second.name, before, change(2_000))).rejects.toThrow(
      /runs files files-3, not yet files-4/,
    );
    // The pod restarts with its new files while no `up` runs; the next `up` finds it so.
    await harness.stopServers(second.name);
    await harness.startServers([second], { [FILES_DIGEST_KEY]: "files-4" });
    await expect(serverCaughtUpProvider.update?.(second.name, before, change(10_000))).resolves.toEqual({
      outs: { ...change(10_000), ranAs: expect.any(String) },
    });
  });

  it("passes a change retried after its server restarted with the new files and reloaded new certificates since", async () => {
    // The last pass records the server's id: another id means a restart, whatever reloads came since.
    const settled = { ...inputs("files-4", 60_000, "files-4"), restarts: true };
    const { outs } = (await serverCaughtUpProvider.update?.(second.name, settled, {
      ...settled,
      timeoutMs: 59_000,
    })) as { outs: ServerCaughtUpState };
    expect(outs.ranAs).toEqual(expect.any(String));
    const change = (timeoutMs: number) => ({ ...inputs("files-5", timeoutMs, "files-5"), restarts: true });
    await harness.stopServers(second.name);
    await harness.startServers([second], { [FILES_DIGEST_KEY]: "files-5" });
    await harness.reloadServer(second, { [FILES_DIGEST_KEY]: "files-5" });
    const retried = (await serverCaughtUpProvider.update?.(second.name, outs, change(10_000))) as {
      outs: ServerCaughtUpState;
    };
    expect(retried.outs).toMatchObject({ files: "files-5", ranAs: expect.any(String) });
    expect(retried.outs.ranAs).not.toBe(outs.ranAs);
    // The server the gate last passed, having taken the next files by reload alone, is waited for.
    await harness.reloadServer(second, { [FILES_DIGEST_KEY]: "files-6" });
    const unrestarted = { ...inputs("files-6", 3_000, "files-6"), restarts: true };
    await expect(serverCaughtUpProvider.update?.(second.name, retried.outs, unrestarted)).rejects.toThrow(
      /took its new files by reload and has not restarted yet/,
    );
  });

  it("gives up after its bound, naming the server and why, so that the next up waits again", async () => {
    await harness.stopServers(second.name);
    try {
      await expect(
        serverCaughtUpProvider.update?.(second.name, inputs("i-2"), inputs("i-3", 3_000)),
      ).rejects.toThrow(
        /server solo-2 is not healthy and caught up 3 s after it was changed: does not answer[\s\S]*run `pulumi up` again/,
      );
    } finally {
      await harness.startServers([second]);
    }
  });
});
