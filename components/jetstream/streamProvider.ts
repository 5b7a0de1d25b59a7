import * as pulumi from "@pulumi/pulumi";
import { STREAM_FIELDS, canonicalSpec, fromWire, normalizeWire, toWire } from "../model/streamConfig";
import { streamChanges } from "../model/streamDiff";
import { StreamSpec } from "../model/streamSpec";
import { streamProblems } from "../model/streamValidation";
import { ConnectionSpec, JetStreamSession, session } from "./connection";
import {
  DEFAULT_RETRY,
  describe,
  errCode,
  ErrCode,
  retryableCreate,
  isUnreachable,
  READ_RETRY,
  withRetries,
} from "./errors";
import { checkInputs, diffInputs, splitInputs } from "./providerInputs";

/** The provider's inputs: the stream's fields at top level (so diffs name them), plus how to connect. */
export type StreamInputs = StreamSpec & {
  connection: ConnectionSpec;
  /** Take over a stream of the same name that already exists, instead of failing. */
  adopt?: boolean;
};

const PLACEMENT_TIMEOUT_MS = 60_000;

const label = (name: string) => `stream "${name}"`;

/** Every managed field, with undefined for the ones left out: nats.js merges updates into the current config. */
function fullUpdate(spec: StreamSpec): Record<string, unknown> {
  const wire = toWire(spec);
  return Object.fromEntries(STREAM_FIELDS.filter((k) => k !== "name").map((k) => [k, wire[k]]));
}

async function overlapHint(js: JetStreamSession, spec: StreamSpec): Promise<string> {
  const others = new Set<string>();
  for (const subject of spec.subjects ?? []) {
    for await (const name of js.jsm.streams.names(subject)) if (name !== spec.name) others.add(name);
  }
  const list = [...others].map((n) => `"${n}"`).join(", ");
  return `its subjects overlap with ${list || "another stream"} in the same account: change subjects, or remove the other stream`;
}

async function waitForPlacement(js: JetStreamSession, spec: StreamSpec): Promise<void> {
  const cluster = spec.placement?.cluster;
  if (cluster === undefined) return;
  const deadline = Date.now() + PLACEMENT_TIMEOUT_MS;
  for (;;) {
    const info = await js.jsm.streams.info(spec.name);
    if (info.cluster?.name === cluster) return;
    if (Date.now() > deadline) {
      throw new Error(
        `still in cluster "${info.cluster?.name}" ${PLACEMENT_TIMEOUT_MS / 1000} s after ` +
          `moving it to "${cluster}"; the move goes on in the server, run \`pulumi refresh\` to see where it is`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function applyConfig(js: JetStreamSession, spec: StreamSpec): Promise<void> {
  await withRetries(() => js.jsm.streams.update(spec.name, fullUpdate(spec)));
  await waitForPlacement(js, spec);
}

async function createStream(inputs: StreamInputs): Promise<void> {
  const { spec, connection, adopt } = splitInputs(inputs);
  const js = await session(connection);
  // The server refuses to create a sealed stream: create it open, then seal it.
  const { sealed, ...openSpec } = spec;
  try {
    const config = toWire(openSpec) as Parameters<typeof js.jsm.streams.add>[0];
    await withRetries(() => js.jsm.streams.add(config), DEFAULT_RETRY, retryableCreate(connection));
  } catch (error) {
    if (errCode(error) === ErrCode.SubjectsOverlap) {
      throw describe(label(spec.name), error, await overlapHint(js, spec));
    }
    if (errCode(error) !== ErrCode.StreamNameInUse || !adopt) throw error;
    await applyConfig(js, openSpec);
  }
  if (sealed) await applyConfig(js, spec);
}

/** A JetStream stream, created, diffed, updated, refreshed and deleted through nats.js. */
export const streamProvider: pulumi.dynamic.ResourceProvider<StreamInputs, StreamInputs> = {
  async check(_olds, news) {
    return checkInputs(news, streamProblems, canonicalSpec);
  },

  async diff(_id, olds, news) {
    return diffInputs(olds, news, streamChanges);
  },

  async create(inputs) {
    try {
      await createStream(inputs);
    } catch (error) {
      throw describe(label(inputs.name), error);
    }
    return { id: inputs.name, outs: inputs };
  },

  async read(id, props) {
    if (props === undefined) {
      throw new Error(
        `${label(id)}: pulumi import cannot reach a dynamic provider; declare the stream with adopt: true`,
      );
    }
    const { connection, adopt } = splitInputs(props);
    try {
      const js = await session(connection);
      const info = await withRetries(() => js.jsm.streams.info(id), READ_RETRY);
      const actual = { ...fromWire(normalizeWire(info.config)), connection, ...(adopt ? { adopt } : {}) };
      return { id, props: actual, inputs: actual };
    } catch (error) {
      // Deleted out of band: drop it from state, so that the next `pulumi up` creates it again.
      if (errCode(error) === ErrCode.StreamNotFound) return {};
      // A region that is down must not stop the refresh of the `up` that brings it back.
      if (isUnreachable(error)) return { id, props, inputs: props };
      throw describe(label(id), error);
    }
  },

  async update(_id, _olds, news) {
    const { spec, connection } = splitInputs(news);
    const js = await session(connection);
    try {
      await applyConfig(js, spec);
    } catch (error) {
      throw describe(label(spec.name), error);
    }
    return { outs: news };
  },

  async delete(id, props) {
    const js = await session(splitInputs(props).connection);
    try {
      await withRetries(() => js.jsm.streams.delete(id));
    } catch (error) {
      if (errCode(error) !== ErrCode.StreamNotFound) throw describe(label(id), error);
    }
  },
};
