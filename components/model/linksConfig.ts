import { APP_ACCOUNT } from "./accounts";
import { AccountLinks } from "./regionAccounts";
import { NatsServerConfig } from "./serverConfig";

/**
 * One set of links from the links of several owners (one per virtual stream): their exports and
 * each account's imports side by side. Owners never share a subject: each names its own streams,
 * delivery prefixes and claimed subjects.
 */
export function mergeAccountLinks(byOwner: Record<string, AccountLinks>): AccountLinks {
  const owners = Object.keys(byOwner).sort();
  const imports: AccountLinks["imports"] = {};
  for (const owner of owners) {
    for (const [account, taken] of Object.entries(byOwner[owner].imports)) {
      imports[account] = [...(imports[account] ?? []), ...taken];
    }
  }
  return { exports: owners.flatMap((owner) => byOwner[owner].exports), imports };
}

/**
 * The server's config with the accounts' exports and imports replaced by `links`. In operator mode
 * (no accounts in the config) they live in the accounts' JWTs instead: the config is kept.
 */
export function withAccountLinks(config: NatsServerConfig, links: AccountLinks): NatsServerConfig {
  if (config.accounts === undefined) return config;
  const accounts = Object.fromEntries(
    Object.entries(config.accounts).map(([name, { exports: _e, imports: _i, ...account }]) => {
      const exports = name === APP_ACCOUNT ? links.exports : [];
      const imports = links.imports[name] ?? [];
      return [
        name,
        {
          ...account,
          ...(exports.length > 0 ? { exports } : {}),
          ...(imports.length > 0 ? { imports } : {}),
        },
      ];
    }),
  );
  return { ...config, accounts };
}
