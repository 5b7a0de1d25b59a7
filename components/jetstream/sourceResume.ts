/*
 * After servers restart, a stream that sources or mirrors from one of them may wait 30 s and more
 * before it asks again: nats-server sends the source consumer request once, and when the origin had
 * no leader yet nobody answers, so it waits `srcConsumerWaitTime` (30 s) and then backs off by 10 s
 * per failure, up to 2 minutes (stream.go, trySetupSourceConsumer and calculateRetryBackoff). A
 * new leader of the sourcing stream sets every source up again at once, from the position it
 * stored: so once the origins have leaders, a stalled stream's leader is asked to step down.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConnectionSpec, session } from "./connection";
import { stepDown } from "./leaderStepDown";
import { describe, isUnreachable, READ_RETRY, withRetries } from "./errors";
import { Inputs } from "./inputs";

export interface SourcingStream {
  name: string;
  /** Its account: streams of one name live in several (each region's stream of a virtual name). */
  account: string;
  connection: ConnectionSpec;
  /** How to reach its origins, which may live in another account. */
  originConnection: ConnectionSpec;
}

export interface SourceResumeInputs {
  streams: SourcingStream[];
  /** One entry per server that changes when it restarts (a pid, an instance id): the trigger. */
  incarnations: string[];
  /**
   * Desired: none. Refresh records the sources it finds silent (`<stream> from <origin>`), so that
   * after a partition heals or an outage ends, the next `up` shows them and resumes them.
   */
  stalled: string[];
}

/** A source that has not been heard from for this long (it heartbeats every second) is stalled. */
const STALE_NS = 5e9;
/** How long a source may take to come back by itself before its stream's leader is moved. */
const GRACE_MS = 3_000;
const TIMEOUT_MS = 60_000;

interface Stall {
  stream: SourcingStream;
  origin: string;
}

const streamText = (stream: SourcingStream) => `${stream.account}/${stream.name}`;

async function stallsOf(stream: SourcingStream): Promise<Stall[]> {
  const { jsm } = await session(stream.connection);
  const info = await withRetries(() => jsm.streams.info(stream.name), READ_RETRY);
  return [info.mirror, ...(info.sources ?? [])]
    .filter((source) => source !== undefined && (source.active < 0 || source.active > STALE_NS))
    .map((source) => ({ stream, origin: source?.name as string }));
}

const stallText = (stall: Stall) => `${streamText(stall.stream)} from ${stall.origin}`;

async function hasLeader(stream: SourcingStream, origin: string): Promise<boolean> {
  const { jsm } = await session(stream.originConnection);
  const info = await jsm.streams.info(origin).catch(() => undefined);
  return info?.cluster?.leader !== undefined;
}

/**
 * Waits until every source and mirror of `streams` is heard from; a stream whose source stays silent
 * for GRACE_MS while its origin has a leader gets a new leader, once. Fails naming the sources that
 * are still silent after TIMEOUT_MS.
 */
export async function resumeSources(streams: SourcingStream[]): Promise<void> {
  const started = Date.now();
  const moved = new Set<SourcingStream>();
  for (;;) {
    const stalls = (await Promise.all(streams.map(stallsOf))).flat();
    if (stalls.length === 0) return;
    if (Date.now() - started > TIMEOUT_MS) {
      const list = stalls.map(stallText).join(", ");
      throw new Error(
        `sources still silent ${TIMEOUT_MS / 1000} s after the servers came back: ${list}\n` +
          `  hint: check that the origin streams have a leader (nats stream info), then run \`pulumi up\` again`,
      );
    }
    if (Date.now() - started > GRACE_MS) {
      for (const { stream, origin } of stalls) {
        if (moved.has(stream) || !(await hasLeader(stream, origin))) continue;
        try {
          await stepDown(stream);
        } catch (error) {
          throw describe(`stream "${streamText(stream)}"`, error);
        }
        moved.add(stream);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Runs on create and whenever a server restarts; holds nothing on the servers. */
export const sourceResumeProvider: pulumi.dynamic.ResourceProvider<SourceResumeInputs, SourceResumeInputs> = {
  async create(inputs) {
    await resumeSources(inputs.streams);
    return { id: inputs.streams.map(streamText).join(","), outs: inputs };
  },

  async read(id, props) {
    if (props === undefined) throw new Error(`source resume ${id} cannot be imported`);
    // A stream that cannot answer now (its region down, its leader moving) is left out rather than
    // hiding the silent sources of the others: the refresh of the `up` that mends them goes on.
    const stallsOrNone = (stream: SourcingStream) =>
      stallsOf(stream).catch((error: unknown) => {
        if (isUnreachable(error)) return [];
        throw error;
      });
    const stalled = (await Promise.all(props.streams.map(stallsOrNone))).flat().map(stallText);
    const actual = { ...props, stalled };
    return { id, props: actual, inputs: actual };
  },

  async diff(_id, olds, news) {
    const changed = (["streams", "incarnations", "stalled"] as const).some(
      (key) => JSON.stringify(olds[key]) !== JSON.stringify(news[key]),
    );
    return { changes: changed, replaces: [] };
  },

  async update(_id, _olds, news) {
    await resumeSources(news.streams);
    return { outs: news };
  },
};

/**
 * `pulumi-nodejs:dynamic/jetstream:SourceResume`: makes `pulumi up` return only once every source
 * and mirror of the given streams flows, on creation, after any of `incarnations` changed, and
 * after a refresh found sources silent.
 */
export class SourceResume extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    args: { streams: pulumi.Input<Inputs<SourcingStream>[]>; incarnations: pulumi.Input<string[]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      sourceResumeProvider,
      name,
      { ...args, streams: pulumi.secret(args.streams), stalled: [] },
      { ...opts, additionalSecretOutputs: ["streams"] },
      "jetstream",
      "SourceResume",
    );
  }
}
