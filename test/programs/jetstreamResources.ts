import { ConnectionSpec } from "../../components/jetstream/connection";
import { Consumer } from "../../components/jetstream/consumer";
import { Stream } from "../../components/jetstream/stream";
import { ConsumerSpec } from "../../components/model/consumerSpec";
import { StreamSpec } from "../../components/model/streamSpec";

export interface JetStreamResourcesInput {
  connection: ConnectionSpec;
  streams: (StreamSpec & { adopt?: boolean })[];
  consumers?: (ConsumerSpec & { adopt?: boolean })[];
}

/** Declares the given streams and consumers; tests change the input between runs. */
export default function program(input: JetStreamResourcesInput) {
  const streams = new Map(
    input.streams.map((spec) => [
      spec.name,
      new Stream(spec.name, { ...spec, connection: input.connection }),
    ]),
  );
  const consumers = (input.consumers ?? []).map((spec) => {
    const stream = streams.get(spec.stream);
    return new Consumer(
      `${spec.stream}-${spec.name}`,
      { ...spec, connection: input.connection },
      { dependsOn: stream ? [stream] : [] },
    );
  });
  return { streams: [...streams.values()].map((s) => s.name), consumers: consumers.map((c) => c.name) };
}
