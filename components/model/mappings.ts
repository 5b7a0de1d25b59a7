import { MappingDestination, NatsServerConfig, APP_ACCOUNT } from "./serverConfig";

/** Account subject mappings, keyed by source subject, as nats-server's `mappings` block takes them. */
export type MappingTable = Record<string, MappingDestination[]>;

/**
 * One table from the tables of several owners (one per virtual stream). Owners never share a
 * source subject; if two do, nothing is merged and the error names both.
 */
export function mergeMappingTables(tables: Record<string, MappingTable>): MappingTable {
  const merged: MappingTable = {};
  const ownerOf: Record<string, string> = {};
  for (const owner of Object.keys(tables).sort()) {
    for (const [subject, destinations] of Object.entries(tables[owner])) {
      if (ownerOf[subject] !== undefined) {
        throw new Error(`mapping for "${subject}" is claimed by both "${ownerOf[subject]}" and "${owner}"`);
      }
      ownerOf[subject] = owner;
      merged[subject] = destinations;
    }
  }
  return merged;
}

/**
 * The server's config with the application account's mappings replaced by `table`. In operator mode
 * (no accounts in the config) the mappings live in the account's JWT instead: the config is kept.
 */
export function withMappings(config: NatsServerConfig, table: MappingTable): NatsServerConfig {
  if (config.accounts === undefined) return config;
  const { mappings: _old, ...app } = config.accounts[APP_ACCOUNT];
  const account = Object.keys(table).length > 0 ? { ...app, mappings: table } : app;
  return { ...config, accounts: { ...config.accounts, [APP_ACCOUNT]: account } };
}
