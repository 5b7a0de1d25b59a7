/*
 * Kubernetes control planes for the platform tests, one per region as each region of the k8s stack
 * has its own cluster: a kube-apiserver, kube-controller-manager and kube-scheduler per region, all
 * storing in one etcd under a prefix per region. Built by scripts/setup-platforms.sh. Clients
 * authenticate with a static token in group system:masters; the API server serves a certificate of
 * a CA made here; authorization is RBAC, as on a real cluster.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import {
  createCertificateAuthority,
  issueServerCertificate,
  PemPair,
} from "../../../components/credentials/x509";
import { DetachedProcess, spawnDetached, stopProcess } from "../../../components/platforms/local/procfs";
import { eventually } from "../monitor";
import { PROJECT_DIR } from "../tools";
import { ApiServerAccess, KubeApi } from "./api";

export const PLATFORM_BIN = path.join(PROJECT_DIR, ".tools", "platforms", "bin");
const HOUR_MS = 3_600_000;

interface Running {
  name: string;
  process: DetachedProcess;
  logFile: string;
}

export interface ControlPlaneOptions {
  /** Scratch folder for etcd's data, certificates, kubeconfigs and logs. */
  dir: string;
  regions: string[];
  /** etcd's client port; its peer port is the next, region i's API server is `basePort + 10 + i`. */
  basePort: number;
}

export class ControlPlanes {
  private readonly running: Running[] = [];
  private ca: PemPair | undefined;
  private readonly token = crypto.randomBytes(24).toString("hex");

  constructor(private readonly options: ControlPlaneOptions) {}

  /** How region `region` is reached: its API server, CA and token. */
  access(region: string): ApiServerAccess {
    const i = this.options.regions.indexOf(region);
    if (i < 0 || this.ca === undefined) throw new Error(`no control plane for region ${region}`);
    return {
      url: `https://127.0.0.1:${this.options.basePort + 10 + i}`,
      token: this.token,
      ca: this.ca.certPem,
    };
  }

  api(region: string): KubeApi {
    return new KubeApi(this.access(region));
  }

  /** A kubeconfig with a context `nats-<region>` per region, as the k8s stack names them. */
  kubeconfig(): string {
    const entries = this.options.regions.map((region) => {
      const access = this.access(region);
      return {
        cluster: {
          name: region,
          cluster: {
            server: access.url,
            "certificate-authority-data": Buffer.from(access.ca).toString("base64"),
          },
        },
        context: { name: `nats-${region}`, context: { cluster: region, user: "admin" } },
      };
    });
    return JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: entries.map((e) => e.cluster),
      contexts: entries.map((e) => e.context),
      users: [{ name: "admin", user: { token: this.token } }],
      "current-context": `nats-${this.options.regions[0]}`,
    });
  }

  async start(): Promise<void> {
    const { dir, basePort } = this.options;
    fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
    this.ca = await createCertificateAuthority("platform tests: Kubernetes CA", HOUR_MS * 24);
    const serving = await issueServerCertificate(
      this.ca,
      "kube-apiserver",
      { ipAddresses: ["127.0.0.1"], dnsNames: ["localhost", "kubernetes", "kubernetes.default.svc"] },
      HOUR_MS * 24,
    );
    const serviceAccountKey = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const files = {
      ca: this.write("ca.pem", this.ca.certPem),
      cert: this.write("apiserver.pem", serving.certPem),
      key: this.write("apiserver-key.pem", serving.keyPem),
      saKey: this.write(
        "sa-key.pem",
        serviceAccountKey.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
      ),
      saPub: this.write(
        "sa.pem",
        serviceAccountKey.publicKey.export({ type: "spki", format: "pem" }) as string,
      ),
      tokens: this.write("tokens.csv", `${this.token},admin,admin,system:masters\n`),
    };
    const etcdUrl = `http://127.0.0.1:${basePort}`;
    const peerUrl = `http://127.0.0.1:${basePort + 1}`;
    this.spawn("etcd", [
      "etcd",
      "--name=platform-tests",
      `--data-dir=${path.join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=platform-tests=${peerUrl}`,
      // The store of a test run: durability across a power cut buys nothing here.
      "--unsafe-no-fsync",
    ]);
    this.options.regions.forEach((region, i) => {
      this.spawn(`kube-apiserver-${region}`, [
        "kube-apiserver",
        `--etcd-servers=${etcdUrl}`,
        `--etcd-prefix=/registry-${region}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${basePort + 10 + i}`,
        `--tls-cert-file=${files.cert}`,
        `--tls-private-key-file=${files.key}`,
        `--client-ca-file=${files.ca}`,
        `--token-auth-file=${files.tokens}`,
        "--authorization-mode=Node,RBAC",
        "--service-cluster-ip-range=10.96.0.0/16",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${files.saPub}`,
        `--service-account-signing-key-file=${files.saKey}`,
      ]);
    });
    for (const region of this.options.regions) {
      const api = this.api(region);
      await eventually(
        `the API server of ${region} ready`,
        async () =>
          (await api.request<string>("GET", "/readyz").catch(() => "")) === "ok" ? true : undefined,
        60_000,
      ).catch((e) => this.failed(e, `kube-apiserver-${region}`));
    }
    for (const region of this.options.regions) {
      const kubeconfig = this.write(
        `${region}.kubeconfig`,
        this.kubeconfig().replace(
          `"current-context":"nats-${this.options.regions[0]}"`,
          `"current-context":"nats-${region}"`,
        ),
      );
      this.spawn(`kube-controller-manager-${region}`, [
        "kube-controller-manager",
        `--kubeconfig=${kubeconfig}`,
        "--leader-elect=false",
        "--secure-port=0",
        `--cluster-name=${region}`,
        `--service-account-private-key-file=${files.saKey}`,
        `--root-ca-file=${files.ca}`,
      ]);
      this.spawn(`kube-scheduler-${region}`, [
        "kube-scheduler",
        `--kubeconfig=${kubeconfig}`,
        "--leader-elect=false",
        "--secure-port=0",
      ]);
    }
  }

  /** Stops every process, API servers and etcd last, and removes the scratch folder. */
  async stop(): Promise<void> {
    for (const running of [...this.running].reverse()) {
      await stopProcess(
        () => (running.process.ended() === undefined ? running.process.pid : undefined),
        10_000,
      );
    }
    this.running.length = 0;
  }

  /** The last lines each control-plane process logged: what a failing test prints. */
  logs(lines = 20): string {
    return this.running
      .map((r) => `--- ${r.name}\n${fs.readFileSync(r.logFile, "utf8").split("\n").slice(-lines).join("\n")}`)
      .join("\n");
  }

  private write(name: string, content: string): string {
    const file = path.join(this.options.dir, name);
    fs.writeFileSync(file, content, { mode: 0o600 });
    return file;
  }

  private spawn(name: string, argv: string[]): void {
    const logFile = path.join(this.options.dir, "logs", `${name}.log`);
    const process = spawnDetached([path.join(PLATFORM_BIN, argv[0]), ...argv.slice(1)], logFile);
    this.running.push({ name, process, logFile });
  }

  private failed(e: unknown, name: string): never {
    const running = this.running.find((r) => r.name === name);
    const log = running ? fs.readFileSync(running.logFile, "utf8").split("\n").slice(-30).join("\n") : "";
    throw new Error(`${(e as Error).message}\n${name} logged:\n${log}`);
  }
}
