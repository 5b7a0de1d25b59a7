import { jetstream, JetStreamClient, jetstreamManager, JetStreamManager } from "@nats-io/jetstream";
import { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import type { RegionAppConfig } from "../../components/virtualStream";
import { AppCredentials, connectionAuth } from "../../components/jetstream/clientAuth";

export type AppConfigs = Record<string, Record<string, RegionAppConfig>>;

export interface RegionClient {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** Applications connected to each region, as the stack's app config tells them to. */
export class RegionClients {
  private readonly byRegion = new Map<string, Promise<RegionClient>>();

  constructor(
    public apps: AppConfigs,
    /** Per region, a user of the region's account. */
    private readonly credentials: Record<string, AppCredentials>,
  ) {}

  /** One connection per region, opened on first use; it reconnects for as long as the test runs. */
  client(region: string): Promise<RegionClient> {
    const cached = this.byRegion.get(region);
    if (cached !== undefined) return cached;
    const opening = (async () => {
      const nc = await connect({
        servers: Object.values(this.apps)[0][region].clientUrls,
        ...connectionAuth(this.credentials[region]),
        maxReconnectAttempts: -1,
      });
      // No API check on connect: while a region restarts, the meta leader may be moving.
      return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc, { checkAPI: false }) };
    })();
    this.byRegion.set(region, opening);
    opening.catch(() => this.byRegion.delete(region));
    return opening;
  }

  /** The message ids in a virtual stream's stream in `region`'s account, in stream order. */
  async idsIn(region: string, virtual: string, expected: number): Promise<string[]> {
    const { js } = await this.client(region);
    const consumer = await js.consumers.get(this.apps[virtual][region].consumeStream);
    const ids: string[] = [];
    const batch = await consumer.fetch({ max_messages: expected + 10, expires: 1500 });
    for await (const m of batch) ids.push(m.headers?.get("Nats-Msg-Id") || `<no id: ${m.subject}>`);
    return ids;
  }

  /** Every message id in a virtual stream's stream in `region`'s account, in stream order, in batches. */
  async allIds(region: string, virtual: string): Promise<string[]> {
    const { js, jsm } = await this.client(region);
    const stream = this.apps[virtual][region].consumeStream;
    const total = (await jsm.streams.info(stream)).state.messages;
    const consumer = await js.consumers.get(stream);
    const ids: string[] = [];
    while (ids.length < total) {
      const before = ids.length;
      const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
      for await (const m of batch) ids.push(m.headers?.get("Nats-Msg-Id") || `<no id: ${m.subject}>`);
      if (ids.length === before) break;
    }
    return ids;
  }

  async close(): Promise<void> {
    const open = [...this.byRegion.values()];
    this.byRegion.clear();
    await Promise.all(open.map(async (c) => (await c.catch(() => undefined))?.nc.close()));
  }
}
