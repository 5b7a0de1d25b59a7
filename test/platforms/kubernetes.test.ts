/*
 * The k8s stack (stacks/Pulumi.k8s.yaml) through the real Pulumi Kubernetes provider, against a
 * real kube-apiserver, kube-controller-manager and kube-scheduler per region. No kubelet or image
 * registry is reachable here: the tests' kubelet runs each pod from what the API server holds (its
 * Secret's config and keys, the pod spec's command, mounts and user) with the pinned binaries, each
 * pod on a machine of its own, named as the Services and external-dns would name them.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as yaml from "js-yaml";
import * as path from "path";
import { K8S_DEFAULTS } from "../../components/platforms/kubernetes/args";
import { POD_DIGEST_ANNOTATION } from "../../components/platforms/kubernetes/manifests";
import { FILES_DIGEST_KEY, usableStoreBytes } from "../../components/model/serverConfig";
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

function ip(args: string[]): void {
  const result = spawnSync("ip", args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`ip ${args.join(" ")} failed: ${result.stderr.trim()}`);
}

/** What the tests read of a server's /healthz and /varz. */
interface MonitorBody {
  status?: string;
  server_name?: string;
  metadata?: Record<string, string>;
}

const parsed = (body: string): MonitorBody | undefined => {
  try {
    return JSON.parse(body) as MonitorBody;
  } catch {
    return undefined;
  }
};

/** The stack's CA, and each server's monitoring URL by the name its /varz gives (of `only`, or all). */
async function monitorsByServer(only?: string[]): Promise<{ ca: string; monitorOf: Map<string, string> }> {
  const clusters = stack.outputs().clusters as Record<string, { monitorUrls: string[] }>;
  const ca = (stack.outputs(true).credentials as { ca: string }).ca;
  const monitorOf = new Map<string, string>();
  for (const url of Object.values(clusters).flatMap((c) => c.monitorUrls)) {
    const name = parsed(await monitorGet(url, "/varz", ca, world.hosts))?.server_name;
    if (name !== undefined && (only === undefined || only.includes(name))) monitorOf.set(name, url);
  }
  expect(monitorOf.size).toBe(only?.length ?? 12);
  return { ca, monitorOf };
}

/** The resources an `up` replaced, as its progress names them. */
const replacedIn = (output: string): string[] =>
  output.split("\n").filter((line) => /^\s*\+-\s.*\breplaced\b/.test(line));

/** What each server's exporter serves (Prometheus text), by the pod's monitoring URL in the outputs. */
async function scrapeExporters(): Promise<Map<string, string>> {
  const clusters = stack.outputs().clusters as Record<string, { monitorUrls: string[] }>;
  const scraped = new Map<string, string>();
  for (const monitor of Object.values(clusters).flatMap((c) => c.monitorUrls)) {
    const { hostname } = new URL(monitor);
    const body = await new Promise<string>((resolve) => {
      const url = `http://${hostname}:${K8S_DEFAULTS.metricsPort}/metrics`;
      const request = http.get(url, { timeout: 3000, lookup: world.hosts.lookup }, (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve(text));
      });
      request.on("timeout", () => request.destroy());
      request.on("error", (e) => resolve(e.message));
    });
    scraped.set(hostname, body);
  }
  return scraped;
}

/** The value of a metric without labels other than the server's, as the exporter writes it. */
const metricValue = (body: string, name: string): number | undefined => {
  const line = body.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
};

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
    // `up` waits until every server answers; a pod is ready once its server is current with its
    // meta leader and every stream it hosts (the startup probe), which a new super-cluster reaches
    // once most of its servers run.
    await eventually(
      "every StatefulSet's pod ready",
      async () => {
        const sets = (await Promise.all(regions.map((r) => statefulSets(r.name)))).flat();
        return sets.length === 12 && sets.every((set) => set.status?.readyReplicas === 1) ? true : undefined;
      },
      180_000,
    );
    for (const region of regions) {
      expect(await statefulSets(region.name)).toHaveLength(4);
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

  it("serves each server's metrics through the exporter beside it, which a PodMonitor per cluster selects", async () => {
    const scraped = await eventually(
      "every exporter serving its server's metrics",
      async () => {
        const bodies = await scrapeExporters();
        return [...bodies.values()].every((b) => b.includes("nats_varz_connections")) ? bodies : undefined;
      },
      60_000,
    );
    expect(scraped.size).toBe(12);
    for (const [pod, body] of scraped) {
      // Over HTTPS from the exporter to its server, JetStream's limit as the volume gives it.
      expect({ pod, maxStorage: metricValue(body, "nats_server_max_storage") }).toEqual({
        pod,
        maxStorage: usableStoreBytes(20 * 1024 ** 3),
      });
      // Routes to both peers of its cluster (pooled routes count more than one each).
      expect(metricValue(body, "nats_routez_num_routes")).toBeGreaterThanOrEqual(2);
    }
    for (const region of regions) {
      const monitors = await world
        .api(region.name)
        .list(`/apis/monitoring.coreos.com/v1/namespaces/${NAMESPACE}/podmonitors`);
      // Its regional cluster and its stretch server, each selecting its own pods' exporter port.
      expect(monitors.map((m) => m.metadata.name).sort()).toEqual([region.name, "stretch"].sort());
      for (const monitor of monitors) {
        expect(monitor.spec.podMetricsEndpoints).toEqual([{ port: "prom-metrics" }]);
        expect(monitor.metadata.labels?.release).toBe("kube-prometheus-stack");
      }
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

  it("starts a restarted server only once it has caught up, so that a drain waits for it", async () => {
    const kubelet = world.kubelet as NonNullable<typeof world.kubelet>;
    const api = world.api("west");
    const [machine] = kubelet.machinesOf("west", NAMESPACE, { "nats-global/server": "west-1" });
    const { namespace } = world.network.machine(machine);
    const { cluster, gateway } = K8S_DEFAULTS.ports;
    // The machine west-1 runs on (and runs on again: a pod made again keeps its machine) loses its
    // routes and gateways, both ways; its monitoring port stays reachable to the kubelet.
    const cut = [cluster, gateway].flatMap((port) => [
      ["ipproto", "tcp", "dport", String(port)],
      ["ipproto", "tcp", "sport", String(port)],
    ]);
    const rules = (action: "add" | "del") => {
      for (const selector of cut)
        ip(["-n", namespace, "rule", action, "pref", "90", ...selector, "blackhole"]);
    };
    const evict = (pod: string) =>
      api.create(`/api/v1/namespaces/${NAMESPACE}/pods/${pod}/eviction`, {
        apiVersion: "policy/v1",
        kind: "Eviction",
        metadata: { name: pod, namespace: NAMESPACE },
      });
    const before = (await api.get(`/api/v1/namespaces/${NAMESPACE}/pods/west-1-0`)).metadata.uid;
    rules("add");
    try {
      await evict("west-1-0");
      const from = kubelet.events.length;
      await eventually(
        "west-1's new pod failing its startup probe twice, cut off from its cluster",
        async () =>
          kubelet.events
            .slice(from)
            .filter((e) => e.pod === `${NAMESPACE}/west-1-0` && e.event === "startup-failed").length >= 2
            ? true
            : undefined,
        180_000,
      );
      const pod = await api.get(`/api/v1/namespaces/${NAMESPACE}/pods/west-1-0`);
      expect(pod.metadata.uid).not.toBe(before);
      expect(pod.status.conditions.find((c: { type: string }) => c.type === "Ready")?.status).toBe("False");
      // It serves (JetStream runs) but is not current with its meta leader: not started, not ready,
      // and its cluster's budget lets no other server of it go.
      const { ca, monitorOf } = await monitorsByServer(["west-1"]);
      expect(
        await monitorGet(monitorOf.get("west-1") as string, "/healthz?js-server-only=true", ca, world.hosts),
      ).toContain('"ok"');
      await expect(evict("west-2-0")).rejects.toThrow(/429.*disruption budget/);
    } finally {
      rules("del");
    }
    await eventually(
      "west-1 ready once it has caught up",
      async () => {
        const pod = await api.find(`/api/v1/namespaces/${NAMESPACE}/pods/west-1-0`);
        const ready = pod?.status?.conditions?.find((c: { type: string }) => c.type === "Ready");
        return ready?.status === "True" ? true : undefined;
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
    const up = await run("up");
    // Each Secret changes in place, so that the kubelet swaps its files under the running server.
    expect(replacedIn(up.output)).toEqual([]);
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

  it("grows every volume in place, and rolls the larger JetStream limit one server at a time in each cluster, with no reload", async () => {
    const kubelet = world.kubelet as NonNullable<typeof world.kubelet>;
    const from = kubelet.events.length;
    const reloadsBefore = reloadSignals();
    const digests = async () => {
      const found = new Map<string, string>();
      for (const region of regions) {
        for (const set of await statefulSets(region.name)) {
          found.set(set.metadata.name, set.spec.template.metadata.annotations[POD_DIGEST_ANNOTATION]);
        }
      }
      return found;
    };
    const before = await digests();
    const identities = async () => {
      const found = new Map<string, string>();
      for (const region of regions) {
        for (const set of await statefulSets(region.name))
          found.set(set.metadata.name, set.metadata.uid as string);
      }
      return found;
    };
    const setsBefore = await identities();
    const { ca, monitorOf } = await monitorsByServer();
    // What the server before each one answered at the moment that one was told to stop.
    const previousAtStop = new Map<string, { previous: string; status?: string; digest?: string }>();
    kubelet.beforeStop = async (pod) => {
      const [, cluster, k] = /^[^/]+\/(.+)-(\d+)-0$/.exec(pod) ?? [];
      if (cluster === undefined || k === "1") return;
      const previous = `${cluster}-${Number(k) - 1}`;
      const url = monitorOf.get(previous) as string;
      const [health, varz] = await Promise.all(
        ["/healthz", "/varz"].map((p) => monitorGet(url, p, ca, world.hosts)),
      );
      previousAtStop.set(pod, {
        previous,
        status: parsed(health)?.status,
        digest: parsed(varz)?.metadata?.[FILES_DIGEST_KEY],
      });
    };
    const grown = (config.regions as { k8s: object }[]).map((region) => ({
      ...region,
      k8s: { ...region.k8s, storage: { size: "24Gi" } },
    }));
    stack.setConfig("regions", grown);
    const up = await run("up").finally(() => (kubelet.beforeStop = undefined));
    // Each claim, config and StatefulSet updated; nothing replaced (named here if anything is).
    expect(replacedIn(up.output)).toEqual([]);
    expect(reportedChanges(up.output)).toEqual({ update: expect.any(Number), same: expect.any(Number) });
    expect(reportedChanges(up.output).update).toBeGreaterThanOrEqual(36);
    for (const region of regions) {
      const claims = await world
        .api(region.name)
        .list(`/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims`);
      expect(claims.map((c) => c.spec.resources.requests.storage)).toEqual(["24Gi", "24Gi", "24Gi", "24Gi"]);
    }
    expect(await identities()).toEqual(setsBefore);
    const after = await digests();
    for (const [set, digest] of after)
      expect({ set, changed: digest !== before.get(set) }).toEqual({ set, changed: true });
    // Per cluster, each server restarted, and was told to stop only once the server before it ran
    // its new config, healthy and caught up (/healthz: current with every stream it hosts).
    const clusters = ["west", "central", "east", "stretch"];
    const restarts = () => {
      const rolled = kubelet.events.slice(from);
      return clusters.flatMap((cluster) =>
        [1, 2, 3].map((k) => {
          const pod = `${NAMESPACE}/${cluster}-${k}-0`;
          const down = rolled.find((e) => e.pod === pod && e.event === "terminating");
          const up = rolled.find(
            (e) => e.pod === pod && e.event === "ready" && e.at > (down?.at ?? Infinity),
          );
          return { pod, down: down?.at, up: up?.at };
        }),
      );
    };
    // `up` ends once the last server of each cluster is caught up over $SYS; Kubernetes marks its
    // pod ready at the next probe.
    await eventually(
      "every restarted pod ready again",
      async () => (restarts().every((r) => r.up !== undefined) ? true : undefined),
      120_000,
      // Named pod by pod below.
    ).catch(() => undefined);
    for (const restart of restarts()) {
      expect(restart).toEqual({ pod: restart.pod, down: expect.any(Number), up: expect.any(Number) });
    }
    for (const cluster of clusters) {
      for (const k of [2, 3]) {
        const pod = `${NAMESPACE}/${cluster}-${k}-0`;
        const previous = `${cluster}-${k - 1}`;
        expect({ pod, ...previousAtStop.get(pod) }).toEqual({
          pod,
          previous,
          status: "ok",
          digest: after.get(previous),
        });
      }
    }
    await everyServerHealthy(stack, world.hosts, 120_000);
    // The reloaders watch the certificates alone: a new config reaches each server by its restart.
    expect(reloadSignals()).toBe(reloadsBefore);
    // JetStream's limit followed the volumes: 90% of 24Gi, as every exporter reports it.
    await eventually(
      "every server's JetStream limit at 90% of its grown volume",
      async () => {
        const limits = [...(await scrapeExporters()).values()].map((b) =>
          metricValue(b, "nats_server_max_storage"),
        );
        return limits.every((l) => l === usableStoreBytes(24 * 1024 ** 3)) ? true : undefined;
      },
      60_000,
    );
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
