/*
 * The application: it knows its virtual stream by name only and runs in any region as its config
 * says. It places an order (a publish on the virtual subjects, stored by the region's write
 * stream) and reads the latest order of that customer back through the virtual name, as a
 * key-value read (the last message on a subject), once the region's read stream has it.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { ApplicationConfig, connectionAuth } from "../../components";

export interface OrderPlaced {
  /** The stream that acknowledged the publish. */
  storedBy: string;
  /** The order as read back through the virtual name. */
  readBack: string;
}

export async function placeOrder(
  config: ApplicationConfig,
  streamName: string,
  customer: string,
  order: string,
  readTimeoutMs = 10_000,
): Promise<OrderPlaced> {
  const { stream, publishSubjects } = config.streams[streamName];
  const subject = `${publishSubjects[0].split(".")[0]}.orders.${customer}`;
  const nc = await connect({ servers: config.urls, ...connectionAuth(config.credentials) });
  try {
    const ack = await jetstream(nc).publish(subject, order, { msgID: `${customer}-${order}` });
    const jsm = await jetstreamManager(nc);
    const deadline = Date.now() + readTimeoutMs;
    for (;;) {
      // Eventual consistency: the region's read stream has it a moment after the write stream.
      const latest = await jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
      if (latest !== null && latest.string() === order)
        return { storedBy: ack.stream, readBack: latest.string() };
      if (Date.now() > deadline)
        throw new Error(`${subject}: "${order}" not readable from ${stream} in ${readTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await nc.close();
  }
}
