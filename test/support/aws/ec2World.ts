/*
 * EC2 for the platform tests: moto keeps the API's state, and this world runs what moto only
 * records. It stands between the AWS provider and moto as a proxy, so that it sees every call in
 * the order the provider makes them, and it gives each instance a machine (a network namespace
 * owning the instance's private IP, and its Elastic IP once associated) that boots from exactly the
 * user data moto holds, as cloud-init would run it: /etc, /var and /usr/local are the machine's own
 * (overlays), /run is empty (no systemd runs there, so the boot script starts the server itself),
 * the pinned nats-server is in its image (the release download is not reachable here),
 * an attached EBS volume appears at its NVMe by-id name as a sparse file that outlives the
 * instance, and names resolve through the tests' DNS (Route 53's records). Stopping or terminating
 * an instance shuts its machine down as the server's unit asks systemd to (its KillSignal, SIGUSR2:
 * lame duck; then SIGKILL after TimeoutStopSec); until that is done, the API says the instance is
 * stopping or shutting down, as EC2 does. A volume detached while a running server has it mounted is recorded
 * as a violation: on EC2 that is a forced detach under a live file system. moto hands out VPC
 * Elastic IPs from 127.0.0.0/8, which this machine keeps for its own loopback; the world shows them
 * to the provider as public addresses, 127.a.b.c as 54.a.b.c, and maps them back in requests.
 */
import * as childProcess from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { gunzipSync } from "zlib";
import { processAlive, spawnDetached } from "../../../components/platforms/local/procfs";
import { vmLayout } from "../../../components/platforms/vm/layout";
import { filesOfBootScript } from "../bootScripts";
import { Hosts } from "../platforms/hosts";
import { MachineNetwork } from "../platforms/machines";
import { tool } from "../tools";
import { InstanceServices } from "./instanceServices";
import { Moto, tagged } from "./moto";

const STATE_CODES = { stopping: 64, "shutting-down": 32 } as const;

export interface Ec2Event {
  at: number;
  /** An API call as the provider made it (`StopInstances`), or what a machine did (`server stopped`). */
  what: string;
  instance?: string;
  volume?: string;
}

/** How systemd stops the server, from the unit its user data writes. */
interface StopSteps {
  /** The signals it sends, in order: ExecStop's `kill -s`, then KillSignal (SIGTERM unless set). */
  signals: NodeJS.Signals[];
  /** TimeoutStopSec: then SIGKILL. */
  timeoutMs: number;
}

function stopStepsOf(userData: string): StopSteps {
  const unit = filesOfBootScript(userData).get(vmLayout().unitFile);
  if (unit === undefined) throw new Error("the user data writes no systemd unit for nats-server");
  const setting = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(unit)?.[1].trim();
  const signal = (name: string) => (name.startsWith("SIG") ? name : `SIG${name}`) as NodeJS.Signals;
  const execStop = setting("ExecStop");
  const stopSignal = execStop === undefined ? undefined : /kill -s (\w+) \$MAINPID/.exec(execStop)?.[1];
  if (execStop !== undefined && stopSignal === undefined)
    throw new Error(`ExecStop not modelled: ${execStop}`);
  return {
    signals: [
      ...(stopSignal !== undefined ? [signal(stopSignal)] : []),
      signal(setting("KillSignal") ?? "SIGTERM"),
    ],
    timeoutMs: Number(setting("TimeoutStopSec") ?? 90) * 1000,
  };
}

interface Vm {
  instance: string;
  stop: StopSteps;
  region: string;
  privateIp: string;
  machine: string;
  dir: string;
  init: number;
  running: boolean;
  /** Its machine is free again (its addresses released) once the instance is terminated. */
  terminated: boolean;
}

const asPublic = (xml: string) => xml.replace(/<(publicIp|ipAddress)>127\./g, "<$1>54.");
const asMoto = (address: string) => address.replace(/^54\./, "127.");
/**
 * The provider launches an instance with a network interface specification, and moto keeps its
 * security groups on that interface only: the instance's own groupSet comes back empty, which the
 * provider reads as no vpcSecurityGroupIds (a diff on every preview). EC2 lists them in both places.
 */
const withInstanceGroups = (xml: string) =>
  xml.replace(
    /(<networkInterfaceSet>(?:(?!<\/networkInterfaceSet>)[\s\S])*?<groupSet>([\s\S]*?)<\/groupSet>[\s\S]*?<\/networkInterfaceSet>(?:(?!<groupSet|<\/item>)[\s\S])*?)<groupSet\/>/g,
    "$1<groupSet>$2</groupSet>",
  );
const listed = (params: URLSearchParams, name: string): string[] =>
  [...params.entries()].filter(([k]) => k === name || k.startsWith(`${name}.`)).map(([, v]) => v);

export class Ec2World {
  readonly events: Ec2Event[] = [];
  readonly violations: string[] = [];
  /**
   * Asked when the provider stops or terminates a running instance, before its machine goes down:
   * what it returns is recorded as violations (a peer that was not healthy then, say).
   */
  beforeShutdown: ((instance: string, region: string) => Promise<string[]>) | undefined;
  private readonly vms = new Map<string, Vm>();
  private readonly stateOverrides = new Map<string, keyof typeof STATE_CODES>();
  /** Volume id → the instance whose machine has it attached. */
  private readonly attached = new Map<string, string>();
  /** Instance id → its Elastic IP and the association that gave it, while associated. */
  private readonly eips = new Map<string, { address: string; association: string }>();
  private readonly pending = new Set<Promise<unknown>>();
  /** Machines an instance is booting on, not yet running. */
  private readonly booting = new Set<string>();
  private server: http.Server | undefined;

  /** The instances' metadata service and Secrets Manager, at the next port. */
  readonly instanceServices: InstanceServices;

  constructor(
    private readonly moto: Moto,
    private readonly network: MachineNetwork,
    private readonly machines: string[],
    private readonly hosts: Hosts,
    readonly dir: string,
    readonly port: number,
  ) {
    // A machine reaches the root namespace from its own address on the test network.
    this.instanceServices = new InstanceServices(moto, network.plan.root.address, port + 1, (address) => {
      const vm = [...this.vms.values()].find(
        (v) => v.running && (v.privateIp === address || network.machine(v.machine).address === address),
      );
      return vm && { instance: vm.instance, region: vm.region };
    });
  }

  /** Where the AWS provider sends its calls. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    fs.mkdirSync(path.join(this.dir, "volumes"), { recursive: true });
    // The mount point each machine's own /dev/disk goes on: this machine's /dev has none.
    fs.mkdirSync("/dev/disk", { recursive: true });
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: Error) => {
        this.violations.push(`proxy: ${e.message}`);
        res.writeHead(500).end(e.message);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, "127.0.0.1", resolve));
    await this.instanceServices.start();
  }

  /** Machines that still run, by instance id. */
  running(): string[] {
    return [...this.vms.values()].filter((vm) => vm.running).map((vm) => vm.instance);
  }

  /** The nats-server pid of an instance's machine, if it runs one. */
  serverPid(instance: string): number | undefined {
    const vm = this.vms.get(instance);
    if (vm === undefined || !vm.running) return undefined;
    try {
      const pid = Number(fs.readFileSync(`/proc/${vm.init}/root/var/lib/nats/nats.pid`, "utf8"));
      return processAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * A log on an instance's data volume so far, in its machine's mounts: `nats-server` (the server's)
   * or `nats-server-files` (its files agent's).
   */
  serverLog(instance: string, log: "nats-server" | "nats-server-files" = "nats-server"): string {
    const vm = this.vms.get(instance);
    try {
      return vm?.running ? fs.readFileSync(`/proc/${vm.init}/root/var/lib/nats/${log}.log`, "utf8") : "";
    } catch {
      return "";
    }
  }

  /** Stops serving and kills every machine at once (what is left after a failed test). */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    await new Promise((resolve) => this.server?.close(resolve));
    await this.instanceServices.stop();
    for (const vm of this.vms.values()) {
      if (vm.running) await this.shutdown(vm, false);
    }
  }

  private record(what: string, ids: { instance?: string; volume?: string } = {}): void {
    this.events.push({ at: Date.now(), what, ...ids });
  }

  private track<T>(work: Promise<T>): void {
    const tracked = work
      .catch((e: Error) => this.violations.push(e.message))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const form = (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    const params = new URLSearchParams(form ? body.toString("utf8") : "");
    for (const [key, value] of [...params.entries()])
      if (/^PublicIp(\.\d+)?$/.test(key)) params.set(key, asMoto(value));
    const action = params.get("Action") ?? `${req.method} ${req.url?.split("?")[0]}`;
    const region =
      /Credential=[^/]+\/\d+\/([^/]+)\//.exec(req.headers.authorization ?? "")?.[1] ?? "us-east-1";
    if (action === "DetachVolume") this.beforeDetach(listed(params, "VolumeId")[0]);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !["host", "content-length", "connection"].includes(k)),
    ) as Record<string, string>;
    const response = await fetch(`${this.moto.url}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : form ? params.toString() : body,
    });
    let text = asPublic(await response.text());
    if (response.ok) text = await this.after(action, region, params, text);
    res.writeHead(response.status, { "content-type": response.headers.get("content-type") ?? "text/xml" });
    res.end(text);
  }

  /** What the call changes beyond moto's records; the response, with states EC2 would still report. */
  private async after(action: string, region: string, params: URLSearchParams, xml: string): Promise<string> {
    const instances = listed(params, "InstanceId");
    switch (action) {
      case "RunInstances":
        for (const instance of tagged(xml, "instanceId")) {
          this.record(action, { instance });
          this.track(this.boot(region, instance));
        }
        break;
      case "StopInstances":
      case "TerminateInstances":
        for (const instance of instances) {
          this.record(action, { instance });
          const vm = this.vms.get(instance);
          if (vm?.running && this.beforeShutdown !== undefined) {
            this.violations.push(...(await this.beforeShutdown(instance, region)));
          }
          if (vm?.running) {
            this.stateOverrides.set(instance, action === "StopInstances" ? "stopping" : "shutting-down");
            this.track(this.shutdown(vm, true).finally(() => this.stateOverrides.delete(instance)));
          }
          if (action === "TerminateInstances") this.track(this.afterTermination(instance));
        }
        break;
      case "AttachVolume":
        this.attach(listed(params, "VolumeId")[0], instances[0]);
        break;
      case "ModifyVolume":
        await this.grow(listed(params, "VolumeId")[0]);
        break;
      case "DetachVolume":
        this.detach(listed(params, "VolumeId")[0]);
        break;
      case "AssociateAddress":
        await this.associate(
          region,
          listed(params, "AllocationId")[0],
          instances[0],
          tagged(xml, "associationId")[0],
        );
        break;
      case "DisassociateAddress":
        await this.disassociate(listed(params, "AssociationId")[0]);
        break;
      case "DescribeInstances":
        return this.withOverrides(withInstanceGroups(xml));
      default:
        if (action.startsWith("POST /2013-04-01/hostedzone/") && action.endsWith("/rrset")) {
          this.record("ChangeResourceRecordSets");
          await this.publishRecords(action.split(" ")[1]);
        }
    }
    return xml;
  }

  private withOverrides(xml: string): string {
    return xml.replace(
      /(<instanceId>(i-[0-9a-f]+)<\/instanceId>[\s\S]*?<instanceState>)<code>\d+<\/code><name>[^<]*<\/name>/g,
      (whole, head: string, instance: string) => {
        const state = this.stateOverrides.get(instance);
        return state === undefined ? whole : `${head}<code>${STATE_CODES[state]}</code><name>${state}</name>`;
      },
    );
  }

  private async userData(region: string, instance: string): Promise<string> {
    const xml = await this.moto.ec2(region, "DescribeInstanceAttribute", {
      InstanceId: instance,
      Attribute: "userData",
    });
    const raw = Buffer.from(tagged(xml, "value")[0] ?? "", "base64");
    // cloud-init takes gzipped user data as it takes plain text.
    return (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString("utf8");
  }

  private async boot(region: string, instance: string): Promise<void> {
    // Taken before the first await: instances of one RunInstances boot side by side.
    // A stopped instance keeps its machine: it may start again, and it owns its addresses until terminated.
    const used = new Set([...this.vms.values()].filter((vm) => !vm.terminated).map((vm) => vm.machine));
    const machine = this.machines.find((m) => !used.has(m) && !this.booting.has(m));
    if (machine === undefined) throw new Error(`no machine left for instance ${instance}`);
    this.booting.add(machine);
    try {
      await this.bootOn(machine, region, instance);
    } finally {
      this.booting.delete(machine);
    }
  }

  private async bootOn(machine: string, region: string, instance: string): Promise<void> {
    const described = await this.moto.ec2(region, "DescribeInstances", { "InstanceId.1": instance });
    const privateIp = tagged(described, "privateIpAddress")[0];
    const dir = path.join(this.dir, "instances", instance);
    for (const layer of ["etc", "var", "usr-local"]) {
      for (const part of ["upper", "work"])
        fs.mkdirSync(path.join(dir, `${layer}.${part}`), { recursive: true });
    }
    fs.mkdirSync(path.join(dir, "usr-local.upper", "bin"), { recursive: true });
    fs.copyFileSync(tool("nats-server"), path.join(dir, "usr-local.upper", "bin", "nats-server"));
    fs.mkdirSync(path.join(dir, "dev-disk", "by-id"), { recursive: true });
    const userData = await this.userData(region, instance);
    fs.writeFileSync(path.join(dir, "user-data"), userData, { mode: 0o700 });
    await this.network.own(machine, privateIp);
    const overlay = (layer: string, at: string) =>
      `mount -t overlay overlay -o lowerdir=${at},upperdir=${dir}/${layer}.upper,workdir=${dir}/${layer}.work ${at}`;
    const script = [
      "set -e",
      overlay("etc", "/etc"),
      overlay("var", "/var"),
      overlay("usr-local", "/usr/local"),
      // Its own /run: this machine's systemd is not the instance's. The boot script sees no systemd
      // here and starts the server itself (its systemd unit is written all the same).
      "mount -t tmpfs tmpfs /run",
      `mount --bind ${this.hosts.file} /etc/hosts`,
      `mount --bind ${dir}/dev-disk /dev/disk`,
      // cloud-init runs the user data once, its output in cloud-init-output.log; the machine stays up.
      // Its metadata service and Secrets Manager are the world's, by the SDKs' standard overrides.
      `env ${Object.entries(this.instanceServices.environment)
        .map(([k, v]) => `${k}=${v}`)
        .join(
          " ",
        )} bash ${dir}/user-data >${dir}/cloud-init-output.log 2>&1 || echo "user data failed: $?" >>${dir}/cloud-init-output.log`,
      "exec sleep infinity",
    ].join("\n");
    // What the machine's init prints itself (a failed mount, say), as a serial console would show it.
    const init = spawnDetached(this.network.shell(machine, script), path.join(dir, "console.log"));
    this.vms.set(instance, {
      instance,
      stop: stopStepsOf(userData),
      region,
      privateIp,
      machine,
      dir,
      init: init.pid,
      running: true,
      terminated: false,
    });
    for (const [volume, owner] of this.attached) if (owner === instance) await this.link(volume, instance);
    const eip = this.eips.get(instance);
    if (eip !== undefined) await this.network.own(machine, eip.address);
    this.record("booted", { instance });
  }

  /** Pids of every process of a machine (its network namespace's). */
  private pids(vm: Vm): number[] {
    const out = childProcess.execFileSync(
      "ip",
      ["netns", "pids", this.network.machine(vm.machine).namespace],
      { encoding: "utf8" },
    );
    return out.split(/\s+/).filter(Boolean).map(Number);
  }

  /**
   * The server gets the signals its unit gives systemd to stop it, and TimeoutStopSec to exit
   * (`graceful`), or none of that (a machine pulled); then everything on the machine is killed.
   */
  private async shutdown(vm: Vm, graceful: boolean): Promise<void> {
    const server = this.serverPid(vm.instance);
    if (server !== undefined && graceful) {
      for (const signal of vm.stop.signals) {
        try {
          process.kill(server, signal);
        } catch {
          break; // It exited after the one before.
        }
        this.record(`server sent ${signal}`, { instance: vm.instance });
      }
      const deadline = Date.now() + vm.stop.timeoutMs;
      while (processAlive(server) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      this.record(processAlive(server) ? "server killed at TimeoutStopSec" : "server stopped", {
        instance: vm.instance,
      });
    }
    for (const pid of this.pids(vm)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    while (this.pids(vm).length > 0) await new Promise((r) => setTimeout(r, 100));
    vm.running = false;
    this.record("machine down", { instance: vm.instance });
  }

  private async afterTermination(instance: string): Promise<void> {
    const vm = this.vms.get(instance);
    if (vm === undefined) return;
    while (vm.running) await new Promise((r) => setTimeout(r, 200));
    await this.network.release(vm.machine);
    vm.terminated = true;
    this.record("terminated", { instance });
  }

  private deviceLink(volume: string, instance: string): string {
    const vm = this.vms.get(instance) as Vm;
    return path.join(
      vm.dir,
      "dev-disk",
      "by-id",
      `nvme-Amazon_Elastic_Block_Store_${volume.replace("-", "")}`,
    );
  }

  /** The file (sparse) that is a volume's disk. */
  private image(volume: string): string {
    return path.join(this.dir, "volumes", `${volume}.img`);
  }

  /** A volume's disk as large as moto says the volume is (it only grows, as EBS volumes do). */
  private async sizeImage(volume: string): Promise<void> {
    const regions = [...new Set([...this.vms.values()].map((vm) => vm.region))];
    for (const region of regions) {
      const described = await this.moto
        .ec2(region, "DescribeVolumes", { "VolumeId.1": volume })
        .catch(() => "");
      const size = Number(tagged(described, "size")[0]);
      if (size > 0) {
        const image = this.image(volume);
        if (!fs.existsSync(image)) fs.writeFileSync(image, "");
        fs.truncateSync(image, Math.max(fs.statSync(image).size, size * 1024 ** 3));
        return;
      }
    }
  }

  /** The volume's disk at the device's name on the instance's machine. */
  private async link(volume: string, instance: string): Promise<void> {
    await this.sizeImage(volume);
    const link = this.deviceLink(volume, instance);
    if (!fs.existsSync(link)) fs.symlinkSync(this.image(volume), link);
  }

  /**
   * A modified volume grows at once, as an EBS volume does while it is "optimizing": its disk, and
   * the loop device a machine mounted it through.
   */
  private async grow(volume: string): Promise<void> {
    await this.sizeImage(volume);
    const loops = childProcess.execFileSync("losetup", ["-j", this.image(volume)], { encoding: "utf8" });
    for (const [, device] of loops.matchAll(/^(\/dev\/loop\d+):/gm)) {
      childProcess.execFileSync("losetup", ["-c", device]);
    }
    this.record("volume grown", { volume });
  }

  private attach(volume: string, instance: string): void {
    this.record("AttachVolume", { instance, volume });
    this.attached.set(volume, instance);
    if (this.vms.has(instance)) this.track(this.link(volume, instance));
  }

  /** Records a violation when a running server still has the volume mounted. */
  private beforeDetach(volume: string): void {
    const instance = this.attached.get(volume);
    const vm = instance === undefined ? undefined : this.vms.get(instance);
    this.record("DetachVolume", { instance, volume });
    if (vm === undefined || !vm.running) return;
    let mounts = "";
    try {
      mounts = fs.readFileSync(`/proc/${vm.init}/mounts`, "utf8");
    } catch {
      return;
    }
    if (mounts.includes(" /var/lib/nats ")) {
      this.violations.push(`volume ${volume} detached while instance ${vm.instance} runs with it mounted`);
    }
  }

  private detach(volume: string): void {
    const instance = this.attached.get(volume);
    this.attached.delete(volume);
    if (instance !== undefined && this.vms.has(instance))
      fs.rmSync(this.deviceLink(volume, instance), { force: true });
  }

  private async associate(
    region: string,
    allocation: string,
    instance: string,
    association: string,
  ): Promise<void> {
    this.record("AssociateAddress", { instance });
    const described = await this.moto.ec2(region, "DescribeAddresses", { "AllocationId.1": allocation });
    const address = tagged(asPublic(described), "publicIp")[0];
    const holder = [...this.eips.entries()].find(
      ([other, eip]) => other !== instance && eip.address === address,
    );
    if (holder !== undefined)
      this.violations.push(`moto gave Elastic IP ${address} to ${holder[0]} and ${instance}`);
    this.eips.set(instance, { address, association });
    const vm = this.vms.get(instance);
    if (vm?.running) await this.network.own(vm.machine, address);
  }

  private async disassociate(association: string): Promise<void> {
    const [instance, eip] = [...this.eips.entries()].find(([, e]) => e.association === association) ?? [];
    this.record("DisassociateAddress", { instance });
    if (instance === undefined || eip === undefined) return;
    this.eips.delete(instance);
    const vm = this.vms.get(instance);
    if (vm?.running) await this.network.disown(vm.machine, eip.address);
  }

  /** A zone's A records (`path` is its rrset path), as the tests' DNS serves them. */
  private async publishRecords(path: string): Promise<void> {
    const xml = await (await this.moto.route53(path)).text();
    for (const [, set] of xml.matchAll(/<ResourceRecordSet>([\s\S]*?)<\/ResourceRecordSet>/g)) {
      if (tagged(set, "Type")[0] !== "A") continue;
      const name = tagged(set, "Name")[0].replace(/\.$/, "");
      for (const value of tagged(set, "Value")) this.hosts.add(name, value);
    }
  }
}
