/*
 * A kubelet for the platform tests: it runs the pods that the scheduler binds to the emulated nodes
 * of every region from exactly what the API server holds. Each pod gets a machine of its own (a
 * network namespace, whose address is the pod IP), each container a mount namespace with a
 * read-only root of its image's binary, the pod's volumes mounted where the spec says (Secrets
 * written as the real kubelet's atomic writer does, resynced when they change; emptyDirs; host
 * folders of the provisioned volumes, group-owned by fsGroup), /etc/hosts from the tests' DNS, and
 * the container's command as its image's entrypoint makes it, run as the pod's user. Probes run on
 * the spec's schedule; status goes to the API server; deletion runs preStop, then SIGTERM, then
 * SIGKILL after the grace period, and reports the pod gone. No images are pulled: the image → binary
 * table below names what each image runs (from their Dockerfiles), built by setup.
 */
import * as childProcess from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as path from "path";
import {
  EXPORTER_IMAGE,
  NATS_IMAGE,
  RELOADER_IMAGE,
} from "../../../components/platforms/kubernetes/manifests";
import { DetachedProcess, spawnDetached, stopProcess } from "../../../components/platforms/local/procfs";
import { Hosts } from "../platforms/hosts";
import { Loop } from "../platforms/loop";
import { MachineNetwork } from "../platforms/machines";
import { tool } from "../tools";
import { KubeApi, KubeObject } from "./api";
import { PLATFORM_BIN } from "./controlPlane";

/**
 * What each image runs. nats:<v>-alpine (nats-io/nats-docker): ENTRYPOINT docker-entrypoint.sh,
 * which puts `nats-server` before arguments that start with '-'; the binary is
 * /usr/local/bin/nats-server. natsio/nats-server-config-reloader (nats-io/nack cicd/Dockerfile):
 * ENTRYPOINT /entrypoint.sh, which execs /nats-server-config-reloader with the arguments.
 * natsio/prometheus-nats-exporter (its cicd/Dockerfile, GO_APP=prometheus-nats-exporter): the same
 * entrypoint, exec'ing /prometheus-nats-exporter.
 */
const IMAGES: Record<string, { binary: string; at: string; command: (args: string[]) => string[] }> = {
  [NATS_IMAGE]: {
    binary: tool("nats-server"),
    at: "/usr/local/bin/nats-server",
    command: (args) => (args[0]?.startsWith("-") ? ["nats-server", ...args] : args),
  },
  [RELOADER_IMAGE]: {
    binary: path.join(PLATFORM_BIN, "nats-server-config-reloader"),
    at: "/nats-server-config-reloader",
    command: (args) => ["/nats-server-config-reloader", ...args],
  },
  [EXPORTER_IMAGE]: {
    binary: path.join(PLATFORM_BIN, "prometheus-nats-exporter"),
    at: "/prometheus-nats-exporter",
    command: (args) => ["/prometheus-nats-exporter", ...args],
  },
};
const IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const RESTART_BACKOFF_MS = 10_000;

export interface KubeletRegion {
  name: string;
  api: KubeApi;
  nodes: string[];
}

export interface PodEvent {
  at: number;
  region: string;
  /** namespace/name */
  pod: string;
  event: "started" | "startup-failed" | "ready" | "unready" | "terminating" | "terminated";
}

type Probe = {
  httpGet: { path: string; port: string | number; scheme?: string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
};

interface Container {
  spec: KubeObject;
  process?: DetachedProcess;
  startedAt?: string;
  restarts: number;
  started: boolean;
  ready: boolean;
  restartAt?: number;
}

interface Pod {
  region: KubeletRegion;
  key: string;
  uid: string;
  spec: KubeObject;
  machine: string;
  ip: string;
  dir: string;
  containers: Map<string, Container>;
  secrets: Map<string, string>;
  stopping: boolean;
  stopped: boolean;
  startTime: string;
  lastStatus?: string;
}

export class Kubelet {
  readonly events: PodEvent[] = [];
  /**
   * Runs when a pod is told to stop, before its preStop hook (namespace/name): what a test checks of
   * the other servers at the moment this one goes.
   */
  beforeStop: ((pod: string) => Promise<void>) | undefined;
  private readonly loop: Loop;
  private readonly pods = new Map<string, Pod>();
  /** Pod key (region/namespace/name) → its machine: a pod made again keeps its address. */
  private readonly machineOf = new Map<string, string>();
  private readonly probes = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly regions: KubeletRegion[],
    private readonly network: MachineNetwork,
    private readonly machines: string[],
    private readonly hosts: Hosts,
    private readonly dir: string,
  ) {
    this.loop = new Loop("kubelet", 500, () => this.sync());
  }

  get errors(): string[] {
    return this.loop.errors;
  }

  /** Machines that run pods matching `labels` in `region`. */
  machinesOf(region: string, namespace: string, labels: Record<string, string>): string[] {
    return [...this.pods.values()]
      .filter((p) => p.region.name === region && p.spec.metadata.namespace === namespace && !p.stopped)
      .filter((p) => Object.entries(labels).every(([k, v]) => p.spec.metadata.labels?.[k] === v))
      .map((p) => p.machine);
  }

  /** Processes of running containers (the tests read what a server was started with). */
  processes(): { pod: string; container: string; pid: number }[] {
    return [...this.pods.values()].flatMap((p) =>
      [...p.containers.entries()]
        .filter(([, c]) => c.process !== undefined && c.process.ended() === undefined)
        .map(([name, c]) => ({ pod: p.key, container: name, pid: (c.process as DetachedProcess).pid })),
    );
  }

  /** Every log of `container` in any pod run so far, by its file (one per pod incarnation). */
  logsOf(container: string): Map<string, string> {
    const logs = new Map<string, string>();
    if (!fs.existsSync(this.dir)) return logs;
    const folders = (dir: string) =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [e.name] : []));
    for (const pod of folders(this.dir)) {
      for (const uid of folders(path.join(this.dir, pod))) {
        const file = path.join(this.dir, pod, uid, `${container}.log`);
        if (fs.existsSync(file)) logs.set(file, fs.readFileSync(file, "utf8"));
      }
    }
    return logs;
  }

  start(): void {
    this.loop.start();
  }

  /** Stops the loop and kills every container at once (what is left after a failed test). */
  async stop(): Promise<void> {
    await this.loop.stop();
    for (const timer of this.probes.values()) clearInterval(timer);
    for (const pod of this.pods.values()) {
      for (const container of pod.containers.values()) this.kill(container);
    }
    this.pods.clear();
  }

  private async sync(): Promise<void> {
    for (const region of this.regions) {
      const seen = new Set<string>();
      for (const spec of await region.api.list("/api/v1/pods")) {
        if (!region.nodes.includes(spec.spec.nodeName)) continue;
        const key = `${region.name}/${spec.metadata.namespace}/${spec.metadata.name}`;
        seen.add(key);
        const pod = this.pods.get(key);
        if (pod !== undefined && pod.uid !== spec.metadata.uid) continue; // the old one is still stopping
        if (pod === undefined) {
          if (spec.metadata.deletionTimestamp === undefined) await this.startPod(region, key, spec);
        } else if (spec.metadata.deletionTimestamp !== undefined && !pod.stopping) {
          pod.stopping = true;
          void this.stopPod(pod, spec);
        } else if (!pod.stopping) {
          await this.syncSecrets(pod);
          this.restartExited(pod);
          await this.reportStatus(pod);
        }
      }
      for (const [key, pod] of this.pods) {
        // Deleted without grace (or its namespace with it): nothing to wait for.
        if (pod.region === region && !seen.has(key) && !pod.stopping) {
          pod.stopping = true;
          void this.stopPod(pod, undefined);
        }
      }
    }
  }

  private record(pod: Pod, event: PodEvent["event"]): void {
    this.events.push({
      at: Date.now(),
      region: pod.region.name,
      pod: pod.key.split("/").slice(1).join("/"),
      event,
    });
  }

  private async startPod(region: KubeletRegion, key: string, spec: KubeObject): Promise<void> {
    let machine = this.machineOf.get(key);
    if (machine === undefined) {
      const used = new Set(this.machineOf.values());
      machine = this.machines.find((m) => !used.has(m));
      if (machine === undefined) throw new Error(`no machine left for pod ${key}`);
      this.machineOf.set(key, machine);
    }
    const dir = path.join(this.dir, key.replace(/\//g, "_"), String(spec.metadata.uid));
    const pod: Pod = {
      region,
      key,
      uid: spec.metadata.uid as string,
      spec,
      machine,
      ip: this.network.machine(machine).address,
      dir,
      containers: new Map(),
      secrets: new Map(),
      stopping: false,
      stopped: false,
      startTime: new Date().toISOString(),
    };
    if (spec.spec.hostname && spec.spec.subdomain) {
      this.hosts.add(
        `${spec.spec.hostname}.${spec.spec.subdomain}.${spec.metadata.namespace}.svc.cluster.local`,
        pod.ip,
      );
    }
    // A pod that cannot start is not this kubelet's yet: the next sync tries again, from scratch.
    try {
      await this.prepareVolumes(pod);
      for (const container of spec.spec.containers as KubeObject[]) {
        const run: Container = { spec: container, restarts: 0, started: false, ready: false };
        pod.containers.set(container.name, run);
        this.startContainer(pod, run);
      }
    } catch (e) {
      for (const run of pod.containers.values()) this.kill(run);
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    this.pods.set(key, pod);
    this.record(pod, "started");
    await this.reportStatus(pod);
  }

  private volumeDir(pod: Pod, volume: string): string {
    return path.join(pod.dir, "volumes", volume);
  }

  /** Secrets as the atomic writer lays them out; emptyDirs; provisioned host folders. */
  private async prepareVolumes(pod: Pod): Promise<void> {
    const fsGroup: number | undefined = pod.spec.spec.securityContext?.fsGroup;
    for (const volume of pod.spec.spec.volumes ?? []) {
      const target = this.volumeDir(pod, volume.name);
      if (volume.secret !== undefined) {
        await this.writeSecret(pod, volume, target);
      } else if (volume.emptyDir !== undefined) {
        fs.mkdirSync(target, { recursive: true, mode: 0o777 });
        fs.chmodSync(target, 0o777);
      } else if (volume.persistentVolumeClaim !== undefined) {
        const ns = pod.spec.metadata.namespace;
        const claim = await pod.region.api.get(
          `/api/v1/namespaces/${ns}/persistentvolumeclaims/${volume.persistentVolumeClaim.claimName}`,
        );
        const pv = await pod.region.api.get(`/api/v1/persistentvolumes/${claim.spec.volumeName}`);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.symlinkSync(pv.spec.hostPath.path, target);
        if (fsGroup !== undefined) {
          fs.chownSync(pv.spec.hostPath.path, 0, fsGroup);
          fs.chmodSync(pv.spec.hostPath.path, 0o2775);
        }
      } else {
        throw new Error(`pod ${pod.key}: volume ${volume.name} is of a kind this kubelet does not mount`);
      }
    }
  }

  private async secretData(pod: Pod, secretName: string): Promise<Record<string, string>> {
    const secret = await pod.region.api.get(
      `/api/v1/namespaces/${pod.spec.metadata.namespace}/secrets/${secretName}`,
    );
    return secret.data ?? {};
  }

  /** The kubelet's atomic writer: files in a timestamped folder, `..data` pointing at it, names linking through. */
  private async writeSecret(pod: Pod, volume: KubeObject, target: string): Promise<void> {
    const all = await this.secretData(pod, volume.secret.secretName);
    // `items` projects only the keys it lists, each at its path.
    const items: { key: string; path: string }[] | undefined = volume.secret.items;
    const data =
      items === undefined ? all : Object.fromEntries(items.map((item) => [item.path, all[item.key]]));
    const fingerprint = JSON.stringify(data);
    if (pod.secrets.get(volume.name) === fingerprint) return;
    const fsGroup: number | undefined = pod.spec.spec.securityContext?.fsGroup;
    const version = `..${new Date().toISOString().replace(/[:.]/g, "_")}`;
    fs.mkdirSync(path.join(target, version), { recursive: true });
    for (const [name, value] of Object.entries(data)) {
      const file = path.join(target, version, name);
      fs.writeFileSync(file, Buffer.from(value, "base64"));
      fs.chmodSync(file, volume.secret.defaultMode ?? 0o644);
      if (fsGroup !== undefined) fs.chownSync(file, 0, fsGroup);
    }
    fs.symlinkSync(version, path.join(target, "..data_tmp"));
    fs.renameSync(path.join(target, "..data_tmp"), path.join(target, "..data"));
    for (const name of Object.keys(data)) {
      if (!fs.existsSync(path.join(target, name)))
        fs.symlinkSync(path.join("..data", name), path.join(target, name));
    }
    for (const old of fs.readdirSync(target).filter((f) => f.startsWith("..2"))) {
      if (old !== version) fs.rmSync(path.join(target, old), { recursive: true, force: true });
    }
    pod.secrets.set(volume.name, fingerprint);
  }

  private async syncSecrets(pod: Pod): Promise<void> {
    for (const volume of pod.spec.spec.volumes ?? []) {
      if (volume.secret !== undefined) await this.writeSecret(pod, volume, this.volumeDir(pod, volume.name));
    }
  }

  /** The container's root: its image's binary, mount points for its volumes, /etc/hosts, /proc. */
  private rootOf(pod: Pod, container: KubeObject): string {
    const image = IMAGES[container.image];
    if (image === undefined) throw new Error(`pod ${pod.key}: no binary for image ${container.image}`);
    const root = path.join(pod.dir, "containers", container.name);
    for (const dir of ["etc", "proc", "tmp", path.dirname(image.at).slice(1)]) {
      fs.mkdirSync(path.join(root, dir), { recursive: true });
    }
    fs.writeFileSync(path.join(root, "etc", "hosts"), "");
    const binary = path.join(root, image.at);
    if (!fs.existsSync(binary)) fs.copyFileSync(image.binary, binary);
    fs.chmodSync(binary, 0o755);
    for (const mount of container.volumeMounts ?? [])
      fs.mkdirSync(path.join(root, mount.mountPath), { recursive: true });
    return root;
  }

  private startContainer(pod: Pod, run: Container): void {
    const container = run.spec;
    const image = IMAGES[container.image];
    const root = this.rootOf(pod, container);
    const security = { ...(pod.spec.spec.securityContext ?? {}), ...(container.securityContext ?? {}) };
    const uid = security.runAsUser ?? 0;
    const gid = security.runAsGroup ?? uid;
    const groups = [gid, ...(security.fsGroup !== undefined ? [security.fsGroup] : [])];
    const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
    const mounts = (container.volumeMounts ?? []).flatMap((mount: KubeObject) => {
      const at = quote(path.join(root, mount.mountPath));
      const from = quote(fs.realpathSync(this.volumeDir(pod, mount.name)));
      return [`mount --bind ${from} ${at}`, ...(mount.readOnly ? [`mount -o remount,bind,ro ${at}`] : [])];
    });
    const env = [
      `PATH=${IMAGE_PATH}`,
      `HOSTNAME=${pod.spec.spec.hostname ?? pod.spec.metadata.name}`,
      ...(container.env ?? []).map((e: { name: string; value: string }) => `${e.name}=${e.value}`),
    ];
    const script = [
      "set -e",
      `mount --bind ${quote(root)} ${quote(root)}`,
      ...(security.readOnlyRootFilesystem ? [`mount -o remount,bind,ro ${quote(root)}`] : []),
      ...mounts,
      `mount --bind ${quote(this.hosts.file)} ${quote(path.join(root, "etc", "hosts"))}`,
      `mount -t proc proc ${quote(path.join(root, "proc"))}`,
      `mount -t tmpfs tmpfs ${quote(path.join(root, "tmp"))}`,
      `exec env -i ${env.map(quote).join(" ")} ${childProcess.execSync("command -v chroot", { shell: "/bin/bash" }).toString().trim()} --userspec=${uid}:${gid} --groups=${groups.join(",")} ${quote(root)} ${image
        .command([...(container.command ?? []), ...(container.args ?? [])])
        .map(quote)
        .join(" ")}`,
    ].join("\n");
    const log = path.join(pod.dir, `${container.name}.log`);
    run.process = spawnDetached(this.network.shell(pod.machine, script), log);
    run.startedAt = new Date().toISOString();
    run.started = container.startupProbe === undefined;
    run.ready = container.readinessProbe === undefined;
    this.scheduleProbes(pod, run);
  }

  private probeKey(pod: Pod, container: string, kind: string): string {
    return `${pod.key}/${pod.uid}/${container}/${kind}`;
  }

  /** Startup, then readiness and liveness, on the spec's delays, periods and thresholds. */
  private scheduleProbes(pod: Pod, run: Container): void {
    const container = run.spec;
    const startedAt = Date.now();
    const begin = (kind: string, probe: Probe, onResult: (ok: boolean, failures: number) => void) => {
      const key = this.probeKey(pod, container.name, kind);
      let failures = 0;
      const period = (probe.periodSeconds ?? 10) * 1000;
      const first = setTimeout(
        () => {
          const tick = async () => {
            if (pod.stopping || run.process?.ended() !== undefined) return;
            const ok = await this.probe(pod, container, probe);
            failures = ok ? 0 : failures + 1;
            onResult(ok, failures);
          };
          void tick();
          this.probes.set(
            key,
            setInterval(() => void tick(), period),
          );
        },
        // As the real kubelet's prober counts it: from the container's start, not from startup.
        Math.max(0, startedAt + (probe.initialDelaySeconds ?? 0) * 1000 - Date.now()),
      );
      this.probes.set(key, first);
    };
    const afterStartup = () => {
      if (container.readinessProbe !== undefined) {
        begin("readiness", container.readinessProbe, (ok, failures) => {
          if (ok && !run.ready) {
            run.ready = true;
            this.record(pod, "ready");
          } else if (!ok && run.ready && failures >= (container.readinessProbe.failureThreshold ?? 3)) {
            run.ready = false;
            this.record(pod, "unready");
          }
        });
      }
      if (container.livenessProbe !== undefined) {
        begin("liveness", container.livenessProbe, (ok, failures) => {
          if (!ok && failures >= (container.livenessProbe.failureThreshold ?? 3)) this.kill(run);
        });
      }
    };
    if (container.startupProbe === undefined) {
      afterStartup();
      return;
    }
    begin("startup", container.startupProbe, (ok, failures) => {
      const key = this.probeKey(pod, container.name, "startup");
      if (ok) {
        clearInterval(this.probes.get(key));
        run.started = true;
        afterStartup();
        return;
      }
      this.record(pod, "startup-failed");
      if (failures >= (container.startupProbe.failureThreshold ?? 3)) {
        clearInterval(this.probes.get(key));
        this.kill(run);
      }
    });
  }

  private probe(pod: Pod, container: KubeObject, probe: Probe): Promise<boolean> {
    const port =
      typeof probe.httpGet.port === "number"
        ? probe.httpGet.port
        : (container.ports ?? []).find((p: { name: string }) => p.name === probe.httpGet.port)?.containerPort;
    const scheme = (probe.httpGet.scheme ?? "HTTP").toLowerCase();
    return new Promise((resolve) => {
      const request = (scheme === "https" ? https : http).get(
        `${scheme}://${pod.ip}:${port}${probe.httpGet.path}`,
        // The kubelet does not verify a probe's certificate.
        { rejectUnauthorized: false, timeout: (probe.timeoutSeconds ?? 1) * 1000 },
        (res) => {
          res.resume();
          resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
        },
      );
      request.on("timeout", () => request.destroy());
      request.on("error", () => resolve(false));
    });
  }

  private kill(run: Container): void {
    if (run.process !== undefined && run.process.ended() === undefined) {
      try {
        process.kill(run.process.pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
  }

  /** Containers that exited while their pod runs start again, after a back-off (restartPolicy Always). */
  private restartExited(pod: Pod): void {
    for (const run of pod.containers.values()) {
      if (run.process?.ended() === undefined) continue;
      if (run.restartAt === undefined) {
        run.restartAt = Date.now() + RESTART_BACKOFF_MS;
        run.started = false;
        if (run.ready) this.record(pod, "unready");
        run.ready = false;
        for (const kind of ["startup", "readiness", "liveness"]) {
          const key = this.probeKey(pod, run.spec.name, kind);
          clearInterval(this.probes.get(key));
          clearTimeout(this.probes.get(key));
        }
      } else if (Date.now() >= run.restartAt) {
        run.restartAt = undefined;
        run.restarts += 1;
        this.startContainer(pod, run);
      }
    }
  }

  private async reportStatus(pod: Pod): Promise<void> {
    const runs = [...pod.containers.entries()];
    const ready = runs.every(([, r]) => r.ready && r.process?.ended() === undefined);
    const condition = (type: string, status: boolean) => ({ type, status: status ? "True" : "False" });
    const status = {
      phase: "Running",
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      hostIP: pod.ip,
      startTime: pod.startTime,
      conditions: [
        condition("PodScheduled", true),
        condition("Initialized", true),
        condition("ContainersReady", ready),
        condition("Ready", ready),
      ],
      containerStatuses: runs.map(([name, r]) => ({
        name,
        image: r.spec.image,
        imageID: r.spec.image,
        ready: r.ready && r.process?.ended() === undefined,
        started: r.started,
        restartCount: r.restarts,
        ...(r.process !== undefined ? { containerID: `nats-global://${r.process.pid}` } : {}),
        state:
          r.process?.ended() === undefined
            ? { running: { startedAt: r.startedAt } }
            : { waiting: { reason: "CrashLoopBackOff" } },
      })),
    };
    const fingerprint = JSON.stringify(status);
    if (fingerprint === pod.lastStatus) return;
    const [ns, name] = pod.key.split("/").slice(1);
    await pod.region.api.patch(`/api/v1/namespaces/${ns}/pods/${name}/status`, { status });
    pod.lastStatus = fingerprint;
  }

  /** preStop, SIGTERM, SIGKILL at the grace period's end; then the pod is reported gone. */
  private async stopPod(pod: Pod, spec: KubeObject | undefined): Promise<void> {
    this.record(pod, "terminating");
    await this.beforeStop?.(pod.key.split("/").slice(1).join("/"));
    const graceMs = (spec?.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const deadline = Date.now() + graceMs;
    if (spec !== undefined) {
      await Promise.all(
        [...pod.containers.values()].map(async (run) => {
          const preStop = run.spec.lifecycle?.preStop?.exec?.command as string[] | undefined;
          if (preStop === undefined || run.process?.ended() !== undefined) return;
          const security = { ...(pod.spec.spec.securityContext ?? {}), ...(run.spec.securityContext ?? {}) };
          childProcess.spawnSync(
            "nsenter",
            [
              "-t",
              String(run.process?.pid),
              "-m",
              "-n",
              "-r",
              "-w",
              "-S",
              String(security.runAsUser ?? 0),
              "-G",
              String(security.runAsGroup ?? 0),
              ...preStop,
            ],
            { env: { PATH: IMAGE_PATH }, timeout: graceMs },
          );
        }),
      );
    }
    await Promise.all(
      [...pod.containers.values()].map((run) =>
        stopProcess(
          () => (run.process?.ended() === undefined ? run.process?.pid : undefined),
          Math.max(0, deadline - Date.now()),
        ),
      ),
    );
    for (const [key, timer] of this.probes) {
      if (key.startsWith(`${pod.key}/${pod.uid}/`)) {
        clearInterval(timer);
        clearTimeout(timer);
        this.probes.delete(key);
      }
    }
    pod.stopped = true;
    this.record(pod, "terminated");
    const [ns, name] = pod.key.split("/").slice(1);
    // Gone from this node: the final delete, as the kubelet makes it (only this pod, not one made since).
    try {
      await pod.region.api.request("DELETE", `/api/v1/namespaces/${ns}/pods/${name}`, {
        kind: "DeleteOptions",
        apiVersion: "v1",
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.uid },
      });
    } catch {
      // Deleted already, or a new pod of the name: nothing of this one is left.
    }
    this.pods.delete(pod.key);
  }
}
