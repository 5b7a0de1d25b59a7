import * as pulumi from "@pulumi/pulumi";
import { LatencyProxyPlan } from "./latencyProxyPlan";
import {
  applyLatency,
  latencyProxyPid,
  observedLatency,
  startLatencyProxy,
  stopLatencyProxy,
} from "./latencyProxy";

export interface LatencyProxyInputs {
  plan: LatencyProxyPlan;
  binary: string;
  /** Where its config and log live. */
  dir: string;
  startTimeoutMs: number;
  /**
   * Desired: always true. `pulumi refresh` records false when the proxy is gone or its delay is not
   * the planned one, so that the next `up` puts it right.
   */
  inPlace: boolean;
}

export interface LatencyProxyState extends LatencyProxyInputs {
  pid?: number;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

async function start(inputs: LatencyProxyInputs): Promise<LatencyProxyState> {
  const pid = await startLatencyProxy(inputs.plan, inputs.binary, inputs.dir, inputs.startTimeoutMs);
  return { ...inputs, pid, inPlace: true };
}

/** One region's latency proxy, as a detached process inside the region's namespace. */
export const latencyProxyProvider: pulumi.dynamic.ResourceProvider<LatencyProxyInputs, LatencyProxyState> = {
  async create(inputs) {
    return { id: inputs.dir, outs: await start(inputs) };
  },

  async read(id, props) {
    if (props === undefined) throw new Error(`latency proxies cannot be imported (${id})`);
    const pid = latencyProxyPid(props.dir);
    const inPlace = pid !== undefined && (await observedLatency(props.plan)) === props.plan.latencyMs;
    const { pid: _recorded, ...inputs } = { ...props, inPlace };
    return { id, props: pid === undefined ? inputs : { ...inputs, pid }, inputs };
  },

  async diff(_id, olds, news) {
    const replaces = olds.dir === news.dir ? [] : ["dir"];
    const changed = (["plan", "binary", "inPlace"] as const).filter((key) => !sameJson(olds[key], news[key]));
    return { changes: replaces.length + changed.length > 0, replaces, deleteBeforeReplace: true };
  },

  async update(_id, olds, news) {
    const onlyDelay =
      olds.inPlace &&
      olds.binary === news.binary &&
      sameJson({ ...olds.plan, latencyMs: 0 }, { ...news.plan, latencyMs: 0 });
    if (onlyDelay && latencyProxyPid(news.dir) !== undefined) {
      // Connections through the proxy stay up: no gateway or route has to reconnect.
      await applyLatency(news.plan);
      return { outs: { ...news, pid: olds.pid, inPlace: true } };
    }
    return { outs: await start(news) };
  },

  async delete(_id, props) {
    await stopLatencyProxy(props.dir);
  },
};

export type LatencyProxyArgs = {
  [K in keyof Omit<LatencyProxyInputs, "inPlace">]: pulumi.Input<LatencyProxyInputs[K]>;
};

/** `pulumi-nodejs:local:LatencyProxy`: a region's latency proxy. */
export class LatencyProxy extends pulumi.dynamic.Resource {
  declare readonly pid: pulumi.Output<number>;

  constructor(name: string, args: LatencyProxyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      latencyProxyProvider,
      name,
      { ...args, inPlace: true, pid: undefined },
      opts,
      "local",
      "LatencyProxy",
    );
  }
}
