/*
 * Runs a region's latency proxy (toxiproxy) inside its namespace, as planned by
 * latencyProxyPlan.ts, and sets its delay through toxiproxy's HTTP API. Only Node built-ins and
 * model code: Pulumi's closure serializer carries these functions into dynamic providers.
 */
import * as fs from "fs";
import * as path from "path";
import { LatencyProxyPlan } from "./latencyProxyPlan";
import { DetachedProcess, livePids, spawnDetached, stopProcess } from "./procfs";
import { addRegionAddress, namespaceLauncher } from "./regionNetwork";

export const TOXIPROXY_EXECUTABLE = "toxiproxy-server";
/** Toxiproxy closes its proxies and exits at once on SIGTERM. */
const STOP_GRACE_MS = 5000;
const API_TIMEOUT_MS = 5000;
/** A toxic's stream: upstream is what the connecting side sends, downstream what it receives. */
const DIRECTIONS = ["upstream", "downstream"] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LatencyProxyFiles {
  /** The proxies toxiproxy creates at start (its `-config`): what identifies the process. */
  configFile: string;
  logFile: string;
}

export function latencyProxyFiles(dir: string): LatencyProxyFiles {
  return { configFile: path.join(dir, "proxies.json"), logFile: path.join(dir, "toxiproxy.log") };
}

/** The pid of the proxy that runs the config in `dir`, or undefined. */
export function latencyProxyPid(dir: string): number | undefined {
  const { configFile } = latencyProxyFiles(dir);
  return livePids(TOXIPROXY_EXECUTABLE, (arg) => arg === configFile)[0];
}

async function api(plan: LatencyProxyPlan, method: string, route: string, body?: unknown): Promise<Response> {
  return fetch(`${plan.apiUrl}${route}`, {
    method,
    headers: body === undefined ? undefined : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(API_TIMEOUT_MS),
  });
}

async function apiJson<T>(plan: LatencyProxyPlan, method: string, route: string, body?: unknown): Promise<T> {
  const response = await api(plan, method, route, body);
  const text = await response.text();
  if (!response.ok) {
    throw new Error(
      `latency proxy of ${plan.region}: ${method} ${route} answered ${response.status}: ${text.trim()}`,
    );
  }
  return JSON.parse(text) as T;
}

const toxicName = (direction: string) => `latency-${direction}`;

/** Sets each proxied port's delay, in both directions, to the plan's latency. */
export async function applyLatency(plan: LatencyProxyPlan): Promise<void> {
  for (const port of plan.ports) {
    for (const direction of DIRECTIONS) {
      const attributes = { latency: plan.latencyMs, jitter: 0 };
      const name = toxicName(direction);
      const created = await api(plan, "POST", `/proxies/${port.name}/toxics`, {
        name,
        type: "latency",
        stream: direction,
        toxicity: 1,
        attributes,
      });
      if (created.status === 409) {
        await apiJson(plan, "POST", `/proxies/${port.name}/toxics/${name}`, { attributes });
      } else if (!created.ok) {
        throw new Error(
          `latency proxy of ${plan.region}: adding ${name} to ${port.name} answered ${created.status}: ` +
            (await created.text()).trim(),
        );
      }
    }
  }
}

interface ProxyState {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: { name: string; stream: string; attributes: { latency?: number } }[];
}

/**
 * The delay every planned port has in both directions, or undefined when the proxy does not answer,
 * lacks a planned port, or its ports disagree (a proxy restarted by hand has no toxics: delay 0).
 */
export async function observedLatency(plan: LatencyProxyPlan): Promise<number | undefined> {
  let proxies: Record<string, ProxyState>;
  try {
    proxies = await apiJson<Record<string, ProxyState>>(plan, "GET", "/proxies");
  } catch {
    return undefined;
  }
  const delays = new Set<number>();
  for (const port of plan.ports) {
    const proxy = proxies[port.name];
    if (
      proxy === undefined ||
      !proxy.enabled ||
      proxy.listen !== port.listen ||
      proxy.upstream !== port.upstream
    ) {
      return undefined;
    }
    for (const direction of DIRECTIONS) {
      const toxic = proxy.toxics.find((t) => t.name === toxicName(direction) && t.stream === direction);
      delays.add(toxic?.attributes.latency ?? 0);
    }
  }
  return delays.size === 1 ? [...delays][0] : undefined;
}

async function waitForApi(
  plan: LatencyProxyPlan,
  proxy: DetachedProcess,
  logFile: string,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && proxy.ended() === undefined) {
    try {
      if ((await api(plan, "GET", "/version")).ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  const log = fs.existsSync(logFile)
    ? fs.readFileSync(logFile, "utf8").trim().split("\n").slice(-10).join("\n")
    : "";
  const ended = proxy.ended();
  const why =
    ended !== undefined
      ? `${ended} during start-up`
      : `did not answer on ${plan.apiUrl} within ${timeoutMs} ms`;
  throw new Error(`the latency proxy of ${plan.region} ${why}:\n${log}`);
}

/**
 * Starts the region's proxy in its namespace (replacing one left on the same config), with every
 * planned port, and sets their delay. On failure no proxy is left running.
 */
export async function startLatencyProxy(
  plan: LatencyProxyPlan,
  binary: string,
  dir: string,
  timeoutMs: number,
): Promise<number> {
  if (!fs.existsSync(binary)) {
    throw new Error(
      `${TOXIPROXY_EXECUTABLE} not found at ${binary}: run \`npm run setup\` to install the pinned toolchain`,
    );
  }
  const files = latencyProxyFiles(dir);
  fs.mkdirSync(dir, { recursive: true });
  const proxies = plan.ports.map((p) => ({
    name: p.name,
    listen: p.listen,
    upstream: p.upstream,
    enabled: true,
  }));
  fs.writeFileSync(files.configFile, JSON.stringify(proxies, null, 2));
  await stopLatencyProxy(dir);
  await addRegionAddress(plan, plan.address);

  const child = spawnDetached(
    [
      ...namespaceLauncher(plan.namespace),
      binary,
      "-host",
      plan.address,
      "-port",
      String(new URL(plan.apiUrl).port),
      "-config",
      files.configFile,
    ],
    files.logFile,
    // Its default, debug, logs every API request.
    { ...process.env, LOG_LEVEL: "info" },
  );
  try {
    await waitForApi(plan, child, files.logFile, timeoutMs);
    await applyLatency(plan);
    if ((await observedLatency(plan)) !== plan.latencyMs) {
      throw new Error(
        `the latency proxy of ${plan.region} did not take every planned port:\n${fs.readFileSync(files.logFile, "utf8")}`,
      );
    }
  } catch (e) {
    await stopLatencyProxy(dir);
    throw e;
  }
  return child.pid;
}

export const stopLatencyProxy = (dir: string): Promise<void> =>
  stopProcess(() => latencyProxyPid(dir), STOP_GRACE_MS);
