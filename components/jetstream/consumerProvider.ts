import * as pulumi from "@pulumi/pulumi";
import {
  canonicalConsumer,
  consumerChanges,
  consumerFromWire,
  consumerToWire,
  consumerUpdate,
} from "../model/consumerConfig";
import { ConsumerSpec } from "../model/consumerSpec";
import { consumerProblems } from "../model/consumerValidation";
import { ConnectionSpec, JetStreamSession, session } from "./connection";
import {
  DEFAULT_RETRY,
  describe,
  errCode,
  ErrCode,
  isUnreachable,
  READ_RETRY,
  retryableCreate,
  withRetries,
} from "./errors";
import { checkInputs, diffInputs, splitInputs } from "./providerInputs";

export type ConsumerInputs = ConsumerSpec & { connection: ConnectionSpec; adopt?: boolean };

const label = (spec: Pick<ConsumerSpec, "stream" | "name">) =>
  `consumer "${spec.name}" of stream "${spec.stream}"`;

type ConsumerConfig = Parameters<JetStreamSession["jsm"]["consumers"]["add"]>[1];

async function applyConfig(js: JetStreamSession, spec: ConsumerSpec): Promise<void> {
  const config = consumerUpdate(spec) as Partial<ConsumerConfig>;
  await withRetries(() => js.jsm.consumers.update(spec.stream, spec.name, config));
}

/** A durable JetStream consumer, created, diffed, updated, refreshed and deleted through nats.js. */
export const consumerProvider: pulumi.dynamic.ResourceProvider<ConsumerInputs, ConsumerInputs> = {
  async check(_olds, news) {
    return checkInputs(news, consumerProblems, canonicalConsumer);
  },

  async diff(_id, olds, news) {
    return diffInputs(olds, news, consumerChanges);
  },

  async create(inputs) {
    const { spec, connection, adopt } = splitInputs(inputs);
    const js = await session(connection);
    try {
      await withRetries(
        () => js.jsm.consumers.add(spec.stream, consumerToWire(spec) as ConsumerConfig),
        DEFAULT_RETRY,
        retryableCreate(connection),
      );
    } catch (error) {
      if (errCode(error) !== ErrCode.ConsumerExists || !adopt) throw describe(label(spec), error);
      await applyConfig(js, spec).catch((e) => {
        throw describe(label(spec), e);
      });
    }
    return { id: `${spec.stream}/${spec.name}`, outs: inputs };
  },

  async read(id, props) {
    if (props === undefined) {
      throw new Error(
        `consumer ${id}: pulumi import cannot reach a dynamic provider; declare it with adopt: true`,
      );
    }
    const { spec, connection, adopt } = splitInputs(props);
    try {
      const js = await session(connection);
      const info = await withRetries(() => js.jsm.consumers.info(spec.stream, spec.name), READ_RETRY);
      const actual = {
        ...consumerFromWire(spec.stream, info.config as unknown as Record<string, unknown>),
        connection,
        ...(adopt ? { adopt } : {}),
      };
      return { id, props: actual, inputs: actual };
    } catch (error) {
      // Gone with its stream or deleted out of band: the next `pulumi up` creates it again.
      const code = errCode(error);
      if (code === ErrCode.ConsumerNotFound || code === ErrCode.StreamNotFound) return {};
      // A region that is down must not stop the refresh of the `up` that brings it back.
      if (isUnreachable(error)) return { id, props, inputs: props };
      throw describe(label(spec), error);
    }
  },

  async update(_id, _olds, news) {
    const { spec, connection } = splitInputs(news);
    try {
      await applyConfig(await session(connection), spec);
    } catch (error) {
      throw describe(label(spec), error);
    }
    return { outs: news };
  },

  async delete(_id, props) {
    const { spec, connection } = splitInputs(props);
    const js = await session(connection);
    try {
      await withRetries(() => js.jsm.consumers.delete(spec.stream, spec.name));
    } catch (error) {
      const code = errCode(error);
      if (code !== ErrCode.ConsumerNotFound && code !== ErrCode.StreamNotFound)
        throw describe(label(spec), error);
    }
  },
};
