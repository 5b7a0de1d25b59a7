/*
 * Control of detached nats-server processes. Only Node built-ins: these functions are serialized
 * into the dynamic provider by Pulumi's closure serializer and run in the provider process.
 */
import * as fs from "fs";
import * as path from "path";
import { NatsServerConfig } from "../../model/serverConfig";
import { ServerTlsPems } from "../../model/security/tls";
import { writeFinalConfig } from "./configFiles";
import { healthProblem } from "./health";
import { livePids, spawnDetached, stopProcess } from "./procfs";
import { writeTlsFiles } from "./tlsFiles";

export interface ServerFilesLayout {
  dir: string;
  /** The config the server runs: see configFiles.ts for how it is made. */
  configFile: string;
  logFile: string;
  /** JetStream's store_dir: the server keeps its streams in `jetstream/` under it. */
  storeDir: string;
  /** The server's own stdout and stderr: where it writes errors it meets before its log is open. */
  consoleFile: string;
}

export function serverFiles(dir: string): ServerFilesLayout {
  return {
    dir,
    configFile: path.join(dir, "nats-server.json"),
    logFile: path.join(dir, "nats-server.log"),
    storeDir: dir,
    consoleFile: path.join(dir, "console.log"),
  };
}

export interface StartRequest {
  binary: string;
  dir: string;
  /** The model's config; the virtual streams' account links found in the folder are added to it. */
  config: NatsServerConfig;
  /** Monitoring endpoint, polled until the server is up. */
  monitorUrl: string;
  timeoutMs: number;
  /**
   * Argv the server runs under, such as a network namespace's `ip netns exec <ns>`; it must exec
   * the server in place, so that the pid is the server's own.
   */
  launcher?: string[];
  /** The CA, certificate and key the config's `tls` blocks name, written before the config is checked. */
  tls?: ServerTlsPems;
}

/** How long a server may take to shut down cleanly before it is killed. */
export const STOP_GRACE_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The nats-servers whose config lies under `dir`: every server of a stack, given its data directory. */
export function natsServerPids(dir: string): number[] {
  return livePids("nats-server", (arg) => arg.startsWith(dir));
}

/**
 * The pid of the server that runs the config in `dir`, or undefined. Found in /proc rather than by a
 * recorded pid, so that a server restarted by hand, or started by an `up` that was killed before it
 * could record it, is found all the same.
 */
export function serverPid(dir: string): number | undefined {
  const configFile = serverFiles(dir).configFile;
  return livePids("nats-server", (arg) => arg === configFile)[0];
}

const fileSize = (file: string): number => (fs.existsSync(file) ? fs.statSync(file).size : 0);

/** Whether `text` was written to `file` past `offset`: the log of this start, not of earlier ones. */
function loggedSince(file: string, offset: number, text: string): boolean {
  const size = fileSize(file);
  if (size <= offset) return false;
  const fd = fs.openSync(file, "r");
  try {
    const buffer = Buffer.alloc(size - offset);
    fs.readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString("utf8").includes(text);
  } finally {
    fs.closeSync(fd);
  }
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** The server's fatal and error lines, else the last lines it wrote. */
function serverErrorText(files: ServerFilesLayout): string {
  const text = [tail(files.consoleFile, 20), tail(files.logFile, 20)].filter((t) => t.length > 0).join("\n");
  const errors = text.split("\n").filter((line) => /\[(FTL|ERR)\]/.test(line));
  return (errors.length > 0 ? errors : text.split("\n").slice(-10)).join("\n");
}

/**
 * Writes the config, checks it with `nats-server -t`, starts the server detached from this process
 * and waits until it answers on its monitoring port. On any failure no process is left running and
 * the error carries the server's own words.
 */
export async function startServer(request: StartRequest): Promise<number> {
  const files = serverFiles(request.dir);
  fs.mkdirSync(files.dir, { recursive: true });
  if (!fs.existsSync(request.binary)) {
    throw new Error(
      `nats-server binary not found at ${request.binary}: run \`npm run setup\` to install the pinned toolchain`,
    );
  }
  if (request.tls !== undefined) writeTlsFiles(request.dir, request.tls);
  writeFinalConfig(request.binary, request.dir, request.config);
  // A server left running on this config (by an `up` that was killed, or started by hand) holds its
  // ports: this one replaces it.
  await stopServer(request.dir, STOP_GRACE_MS);

  const logFile = request.config.log_file ?? files.logFile;
  const logOffset = fileSize(logFile);
  const child = spawnDetached(
    [...(request.launcher ?? []), request.binary, "-c", files.configFile],
    files.consoleFile,
  );
  const deadline = Date.now() + request.timeoutMs;
  while (Date.now() < deadline) {
    const ended = child.ended();
    if (ended !== undefined)
      throw new Error(`nats-server ${ended} during start-up:\n${serverErrorText(files)}`);
    // Its own log says so: a server that still holds the ports (another stack's) answers health
    // checks too, while this one fails to bind them and exits.
    if (loggedSince(logFile, logOffset, "Server is ready")) {
      if ((await healthProblem(request.monitorUrl, true)) === undefined) return child.pid;
    }
    await sleep(100);
  }
  await stopServer(request.dir, 5000);
  throw new Error(
    `nats-server did not answer on ${request.monitorUrl} within ${request.timeoutMs} ms; ` +
      `stopped it. Its last words:\n${serverErrorText(files)}`,
  );
}

/** Stops the server of `dir`, whatever its pid: gracefully (SIGTERM), then forcibly after `graceMs`. */
export async function stopServer(dir: string, graceMs: number): Promise<void> {
  await stopProcess(() => serverPid(dir), graceMs);
}

/** Removes a stopped server's config, log and JetStream store. */
export function removeServerFiles(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

async function configLoadTime(monitorUrl: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${monitorUrl}/varz`, { signal: AbortSignal.timeout(2000) });
    return ((await response.json()) as { config_load_time?: string }).config_load_time;
  } catch {
    return undefined;
  }
}

/**
 * Makes a running server reload its config file (SIGHUP) and waits until it says it did; a server
 * that is not running picks the file up when it starts.
 */
export async function reloadServer(dir: string, monitorUrl: string, timeoutMs: number): Promise<void> {
  const pid = serverPid(dir);
  if (pid === undefined) return;
  const before = await configLoadTime(monitorUrl);
  process.kill(pid, "SIGHUP");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const now = await configLoadTime(monitorUrl);
    if (now !== undefined && now !== before) return;
    await sleep(100);
  }
  throw new Error(
    `nats-server in ${dir} did not reload its config within ${timeoutMs} ms:\n${serverErrorText(serverFiles(dir))}`,
  );
}
