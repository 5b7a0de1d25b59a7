/** The seed topology's servers in the stacks' files: 3 per region and a stretch server in each. */
export const SEED_REGIONS = ["west", "central", "east"];
export const SEED_SERVERS = [
  ...SEED_REGIONS.flatMap((region) => [1, 2, 3].map((k) => `${region}-${k}`)),
  ...SEED_REGIONS.map((_, i) => `stretch-${i + 1}`),
];
/** The region a server sits in: a stretch server's is the region that hosts it. */
export const regionOfServer = (server: string): string =>
  server.startsWith("stretch-") ? SEED_REGIONS[Number(server.slice(-1)) - 1] : server.split("-")[0];
/** The public name the stacks give a server: `{server}.<region>.nats.example.com`. */
export const publicName = (server: string): string => `${server}.${regionOfServer(server)}.nats.example.com`;
