/*
 * The k8s stack (stacks/Pulumi.k8s.yaml) through the real Pulumi Kubernetes provider, against a
 * real kube-apiserver, kube-controller-manager and kube-scheduler per region. No kubelet or image
 * registry is reachable here: the tests' kubelet runs each pod from what the API server holds (its
 * Secret's config and keys, the pod spec's command, mounts and user) with the pinned binaries, each
 * pod on a machine of its own, named as the Services and external-dns would name them.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { KubeObject } from "../support/kubernetes/api";
import { ZONE_LABEL } from "../support/kubernetes/clusterServices";
import { KubernetesWorld } from "../support/kubernetes/world";
import { eventually } from "../support/monitor";
import { everyServerHealthy, monitorGet } from "../support/platforms/health";
import { changesBesidesSame, reportedChanges, TestStack } from "../support/stackRunner";
import { PROJECT_DIR } from "../support/tools";

// Provider builds ran before; what is timed here is `pulumi up` of a whole stack, servers and all.
jest.setTimeout(20 * 60_000);

const stackFile = yaml.load(fs.readFileSync(path.join(PROJECT_DIR, "stacks", "Pulumi.k8s.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
const config = Object.fromEntries(
  Object.entries(stackFile.config).map(([key, value]) => [key.replace(/^nats-global:/, ""), value]),
);
const regions = config.regions as { name: string; zones: string[] }[];
const CLOUD_REGIONS: Record<string, string> = { west: "us-west-2", central: "us-east-2", east: "us-east-1" };

const world = new KubernetesWorld({
  regions: regions.map((r) => ({ name: r.name, zones: r.zones, cloudRegion: CLOUD_REGIONS[r.name] })),
  machines: 16,
  networkPrefix: "ngk8s",
  networkOctet: 86,
  basePort: 23790,
});
const stack = new TestStack("e2e-platform-k8s", config);
const run = async (command: "up" | "preview" | "down", timeoutMs = 15 * 60_000) => {
  const result = await stack.run(command, timeoutMs, {
    env: { KUBECONFIG: world.kubeconfigFile() },
    launcher: world.hosts.launcher(),
  });
  if (result.code !== 0) {
    throw new Error(
      `${command} failed:\n${result.output.slice(-6000)}\n--- the emulated clusters:\n${world.diagnostics()}`,
    );
  }
  return result;
};

const NAMESPACE = "nats";
const statefulSets = async (region: string) =>
  world.api(region).list(`/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets`);
const pods = async (region: string) => world.api(region).list(`/api/v1/namespaces/${NAMESPACE}/pods`);

/** How many times the config reloaders have signalled their servers so far, in every pod. */
const reloadSignals = () =>
  [...(world.kubelet?.logsOf("reloader").values() ?? [])].reduce(
    (sum, log) => sum + (log.match(/Sending pid \d+ '[^']+' signal to reload/g)?.length ?? 0),
    0,
  );

beforeAll(async () => {
  stack.discardEarlierRun();
  await world.start();
}, 5 * 60_000);

afterAll(async () => {
  await stack.run("down", 10 * 60_000, {
    env: { KUBECONFIG: world.kubeconfigFile() },
    launcher: world.hosts.launcher(),
  });
  stack.pulumi(["stack", "rm", "--yes", "--force", "-s", stack.name]);
  fs.rmSync(stack.configFile, { force: true });
  await world.stop();
}, 15 * 60_000);

describe("the k8s stack on real API servers, through the real Kubernetes provider", () => {
  it("is accepted whole by the API servers, and its servers form the super-cluster", async () => {
    const up = await run("up");
    expect(reportedChanges(up.output).create).toBeGreaterThan(0);
    for (const region of regions) {
      const sets = await statefulSets(region.name);
      expect(sets).toHaveLength(4);
      for (const set of sets) expect(set.status.readyReplicas).toBe(1);
      // Each pod on a node of the zone its server's az: tag names, as the scheduler placed it.
      const nodes = await world.api(region.name).list("/api/v1/nodes");
      for (const pod of await pods(region.name)) {
        const node = nodes.find((n) => n.metadata.name === pod.spec.nodeName) as KubeObject;
        const wanted =
          pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
            .matchExpressions[0].values[0];
        expect({ pod: pod.metadata.name, zone: node.metadata.labels?.[ZONE_LABEL] }).toEqual({
          pod: pod.metadata.name,
          zone: wanted,
        });
      }
    }
    await everyServerHealthy(stack, world.hosts, 120_000);
  });

  it("runs each server from exactly what its Secret holds", async () => {
    const running = (world.kubelet?.processes() ?? []).filter((p) => p.container === "nats");
    expect(running).toHaveLength(12);
    for (const { pod, pid } of running) {
      const [region, , name] = pod.split("/");
      const server = name.replace(/-0$/, "");
      const secret = await world.api(region).get(`/api/v1/namespaces/${NAMESPACE}/secrets/${server}-config`);
      const served = fs.readFileSync(`/proc/${pid}/root/etc/nats-config/nats.conf`, "utf8");
      expect(served).toBe(Buffer.from(secret.data["nats.conf"], "base64").toString("utf8"));
      expect(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")).toContain(
        "/etc/nats-config/nats.conf",
      );
    }
  });

  it("previews no change after up", async () => {
    const preview = await run("preview");
    expect(changesBesidesSame(preview.output)).toEqual({ changes: {}, diff: "" });
  });

  it("lets a drain evict the stretch server only in its drain region, and it comes back", async () => {
    const budget = (region: string) =>
      world.api(region).get(`/apis/policy/v1/namespaces/${NAMESPACE}/poddisruptionbudgets/stretch`);
    const evict = (region: string, pod: string) =>
      world.api(region).create(`/api/v1/namespaces/${NAMESPACE}/pods/${pod}/eviction`, {
        apiVersion: "policy/v1",
        kind: "Eviction",
        metadata: { name: pod, namespace: NAMESPACE },
      });
    // The disruption controller has counted the healthy pods of each budget.
    for (const [region, allowed] of [
      ["west", 1],
      ["central", 0],
      ["east", 0],
    ] as const) {
      await eventually(
        `the stretch budget in ${region} allows ${allowed}`,
        async () => {
          const status = (await budget(region)).status;
          return status?.currentHealthy === 1 && status.disruptionsAllowed === allowed ? true : undefined;
        },
        60_000,
      );
    }
    await expect(evict("central", "stretch-2-0")).rejects.toThrow(/429.*disruption budget/);
    await expect(evict("east", "stretch-3-0")).rejects.toThrow(/429.*disruption budget/);
    const before = (await world.api("west").get(`/api/v1/namespaces/${NAMESPACE}/pods/stretch-1-0`)).metadata
      .uid;
    await evict("west", "stretch-1-0");
    await eventually(
      "the evicted stretch server back in a new pod",
      async () => {
        const pod = await world.api("west").find(`/api/v1/namespaces/${NAMESPACE}/pods/stretch-1-0`);
        const ready = pod?.status?.conditions?.find((c: { type: string }) => c.type === "Ready");
        return pod !== undefined && pod.metadata.uid !== before && ready?.status === "True"
          ? true
          : undefined;
      },
      180_000,
    );
    await everyServerHealthy(stack, world.hosts, 120_000);
  });

  it("renews certificates by reload: every server serves its new one, and none restarts", async () => {
    const events = world.kubelet?.events as NonNullable<typeof world.kubelet>["events"];
    const from = events.length;
    const generations = async () =>
      Object.fromEntries(
        (await Promise.all(regions.map((r) => statefulSets(r.name))))
          .flat()
          .map((set) => [set.metadata.name, set.metadata.generation]),
      );
    const before = await generations();
    const renewedAt = Date.now();
    // A new validity issues new certificates at once, as their renewal at two thirds of it would.
    stack.setConfig("security", { tls: { validity: "2000h" } });
    await run("up");
    expect(await generations()).toEqual(before);
    const clusters = stack.outputs().clusters as Record<string, { monitorUrls: string[] }>;
    const ca = (stack.outputs(true).credentials as { ca: string }).ca;
    const monitors = Object.values(clusters).flatMap((c) => c.monitorUrls);
    const expires = renewedAt + 2000 * 3600_000;
    await eventually(
      "every server serving a certificate valid for 2000 h from the renewal",
      async () => {
        const answers = await Promise.all(monitors.map((url) => monitorGet(url, "/varz", ca, world.hosts)));
        const notAfter = answers.map((body) => {
          try {
            return Date.parse((JSON.parse(body) as { tls_cert_not_after?: string }).tls_cert_not_after ?? "");
          } catch {
            return NaN;
          }
        });
        // Certificates are issued with whole seconds, and backdated a little against clock skew.
        return notAfter.every((t) => Math.abs(t - expires) < 3600_000) ? true : undefined;
      },
      120_000,
    );
    expect(events.slice(from).filter((e) => e.event === "terminating")).toEqual([]);
  });

  it("rolls a config change one server at a time in each cluster, with no reload", async () => {
    const events = world.kubelet?.events as NonNullable<typeof world.kubelet>["events"];
    const from = events.length;
    const reloadsBefore = reloadSignals();
    const before = new Map<string, string>();
    for (const region of regions) {
      for (const set of await statefulSets(region.name)) {
        before.set(set.metadata.name, set.spec.template.metadata.annotations["nats-global/config-sha256"]);
      }
    }
    stack.setConfig("jetstream", { maxFileStore: 4 * 1024 ** 3 });
    const up = await run("up");
    expect(reportedChanges(up.output).update).toBeGreaterThanOrEqual(12);
    for (const region of regions) {
      for (const set of await statefulSets(region.name)) {
        expect(set.spec.template.metadata.annotations["nats-global/config-sha256"]).not.toBe(
          before.get(set.metadata.name),
        );
      }
    }
    // Per cluster, each server is down (terminating until its new pod is ready) alone.
    const rolled = events.slice(from);
    for (const cluster of ["west", "central", "east", "stretch"]) {
      const windows = [1, 2, 3].map((k) => {
        const pod = `${NAMESPACE}/${cluster}-${k}-0`;
        const down = rolled.find((e) => e.pod === pod && e.event === "terminating");
        const up = rolled.find((e) => e.pod === pod && e.event === "ready" && e.at > (down?.at ?? Infinity));
        return { pod, down: down?.at, up: up?.at };
      });
      for (const w of windows)
        expect(w).toEqual({ pod: w.pod, down: expect.any(Number), up: expect.any(Number) });
      for (let k = 1; k < windows.length; k++) {
        expect({
          next: windows[k].pod,
          after: (windows[k].down as number) >= (windows[k - 1].up as number),
        }).toEqual({
          next: windows[k].pod,
          after: true,
        });
      }
    }
    await everyServerHealthy(stack, world.hosts, 120_000);
    // The reloaders watch the certificates alone: a new config reaches each server by its restart.
    expect(reloadSignals()).toBe(reloadsBefore);
  });

  it("destroys everything it made", async () => {
    const down = await run("down");
    expect(reportedChanges(down.output).delete).toBeGreaterThan(0);
    for (const region of regions) {
      const api = world.api(region.name);
      expect(await api.find(`/api/v1/namespaces/${NAMESPACE}`)).toBeUndefined();
      await eventually(
        `no volume left in ${region.name}`,
        async () => ((await api.list("/api/v1/persistentvolumes")).length === 0 ? true : undefined),
        60_000,
      );
    }
    expect(world.kubelet?.processes()).toEqual([]);
  });
});
