/*
 * A gate for servers that a cloud starts on its own time (an instance booting, a load balancer and
 * its DNS name appearing): it waits, with a bound, until each server's client port answers with
 * nats-server's INFO line, which every server sends on connect before TLS and without credentials.
 * What needs the servers (account pushes, streams) waits for it. Node built-ins only: serialized
 * into its provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { waitUntil } from "../model/boundedWait";
import { clientUrl, Endpoint, hostPort } from "../model/endpoints";

export interface ServersAnsweringInputs {
  /** `host:port` of each server's client listener. */
  addresses: string[];
  /** A value per server that changes when it is replaced: a replaced server is waited for again. */
  incarnations: string[];
  timeoutMs: number;
}

/** Long enough for a VM to boot, download the release and start, or a load balancer to be named. */
export const DEFAULT_ANSWER_TIMEOUT_MS = 15 * 60_000;
const PROBE_TIMEOUT_MS = 5_000;
const PROBE_INTERVAL_MS = 5_000;

/** Why `address` does not answer as a nats-server, or undefined when it does. */
function probe(address: string): Promise<string | undefined> {
  const net = require("net") as typeof import("net");
  const colon = address.lastIndexOf(":");
  return new Promise((resolve) => {
    const socket = net.connect(Number(address.slice(colon + 1)), address.slice(0, colon));
    let seen = "";
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done("no answer"));
    socket.on("data", (chunk) => {
      seen += chunk.toString("latin1");
      if (seen.length >= 5) done(seen.startsWith("INFO ") ? undefined : `answers, but not as nats-server`);
    });
    socket.on("error", (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    socket.on("end", () => done("closed the connection"));
  });
}

/** Why some of `addresses` do not answer yet (one line each), or undefined when all do. */
async function notAnswering(addresses: string[]): Promise<string | undefined> {
  const problems = await Promise.all(addresses.map(probe));
  const lines = addresses.flatMap((address, i) =>
    problems[i] !== undefined ? [`  ${address}: ${problems[i]}`] : [],
  );
  return lines.length === 0 ? undefined : lines.join("\n");
}

async function waitAnswering(inputs: ServersAnsweringInputs): Promise<void> {
  const reasons = await waitUntil(() => notAnswering(inputs.addresses), {
    timeoutMs: inputs.timeoutMs,
    intervalMs: PROBE_INTERVAL_MS,
  });
  if (reasons === undefined) return;
  throw new Error(
    `servers not answering after ${inputs.timeoutMs / 60_000} min:\n${reasons}\n` +
      "check that each name resolves to its server and that the client port is open to this machine; " +
      "the next `pulumi up` waits again",
  );
}

export const serversAnsweringProvider: pulumi.dynamic.ResourceProvider<
  ServersAnsweringInputs,
  ServersAnsweringInputs
> = {
  async create(inputs) {
    await waitAnswering(inputs);
    return { id: inputs.addresses.join(","), outs: inputs };
  },
  async diff(_id, olds, news) {
    const changed =
      JSON.stringify([olds.addresses, olds.incarnations]) !==
      JSON.stringify([news.addresses, news.incarnations]);
    return { changes: changed || olds.timeoutMs !== news.timeoutMs };
  },
  async update(_id, _olds, news) {
    await waitAnswering(news);
    return { outs: news };
  },
};

/** `pulumi-nodejs:platforms:ServersAnswering`. */
export class ServersAnswering extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    args: { [K in keyof ServersAnsweringInputs]: pulumi.Input<ServersAnsweringInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(serversAnsweringProvider, name, args, opts, "platforms", "ServersAnswering");
  }
}

/**
 * The client URLs of a cluster's servers, known once every one answers (not in a preview, where
 * nothing runs): what connects to them waits for this.
 */
export function answeringClientUrls(
  name: string,
  endpoints: Endpoint[],
  incarnations: pulumi.Output<string[]>,
  parent: pulumi.Resource,
): pulumi.Output<string[]> {
  const gate = new ServersAnswering(
    `${name}-answering`,
    {
      addresses: endpoints.map((e) => hostPort(e.advertise?.client ?? { host: e.host, port: e.client })),
      incarnations,
      timeoutMs: DEFAULT_ANSWER_TIMEOUT_MS,
    },
    { parent },
  );
  return gate.id.apply(() => endpoints.map((e) => clientUrl(e)));
}
