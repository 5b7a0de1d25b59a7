/*
 * One account per region, so that every client uses the virtual stream's own name (issue 17, item
 * 1). nats-server refuses a consumer create whose body names another stream than its subject
 * (jetstream_api.go, jsConsumerCreateRequest), and every client puts the name it was given in the
 * body: the stream a region's clients read must be named as the virtual stream, in their account.
 * So each region has an account whose read stream is `<virtual>`, sourcing or mirroring the
 * application account's streams across accounts, and whose publishes reach the application
 * account's write side through service imports. This file plans those links; they are account
 * config in static mode and account JWT claims in operator mode.
 */
import { APP_ACCOUNT, regionAccount } from "./accounts";

/** Where a region account reaches the application account's JetStream API (a source's `external.api`). */
export const APPLICATION_API = "$JS.APP.API";

/** Where a region's read stream receives what it sources: one prefix per virtual stream and region. */
export const deliverPrefix = (virtual: string, region: string): string => `$SRC.${virtual}.${region}`;

/** A source or mirror in a region account, of a stream of the application account. */
export const fromApplicationAccount = (virtual: string, region: string) => ({
  api: APPLICATION_API,
  deliver: deliverPrefix(virtual, region),
});

export interface ServiceExport {
  service: string;
  accounts: string[];
}
export interface StreamExport {
  stream: string;
  accounts: string[];
}
export interface ServiceImport {
  service: { account: string; subject: string };
  to?: string;
}
export interface StreamImport {
  stream: { account: string; subject: string };
}

/** One virtual stream's links between the application account and the region accounts. */
export interface AccountLinks {
  /** What the application account offers, each to the region accounts that take it. */
  exports: (ServiceExport | StreamExport)[];
  /** Per region account, what it takes. */
  imports: Record<string, (ServiceImport | StreamImport)[]>;
}

export interface RegionLinks {
  /** The application account's streams that the region's read stream sources or mirrors. */
  origins: string[];
  /** Subjects the region's clients publish on, and where they land in the application account. */
  publishes: { local: string; remote: string }[];
}

/**
 * The exports and imports that let each region's read stream source its origins (the consumer
 * create API, flow control answers, the deliveries) and its clients publish to the write side.
 */
export function accountLinks(virtual: string, regions: Record<string, RegionLinks>): AccountLinks {
  const takers = new Map<string, string[]>();
  const offer = (subject: string, region: string) =>
    takers.set(subject, [...(takers.get(subject) ?? []), regionAccount(region)]);
  const imports: AccountLinks["imports"] = {};
  const streams: StreamExport[] = [];
  for (const [region, { origins, publishes }] of Object.entries(regions)) {
    const account = regionAccount(region);
    const taken: (ServiceImport | StreamImport)[] = [];
    for (const origin of origins) {
      // A mirror asks on the bare subject, a filtered source on the extended one (stream.go).
      for (const rest of ["", ".>"]) {
        const create = `$JS.API.CONSUMER.CREATE.${origin}${rest}`;
        offer(create, region);
        taken.push({
          service: { account: APP_ACCOUNT, subject: create },
          to: `${APPLICATION_API}.CONSUMER.CREATE.${origin}${rest}`,
        });
      }
      // The sourcing stream answers the origin's flow control requests, in both reply formats
      // (consumer.go: $JS.FC.<stream>.… and $JS.FC.<domain>.<account hash>.<stream>.…).
      for (const flowControl of [`$JS.FC.${origin}.>`, `$JS.FC.*.*.${origin}.>`]) {
        offer(flowControl, region);
        taken.push({ service: { account: APP_ACCOUNT, subject: flowControl } });
      }
    }
    const deliveries = `${deliverPrefix(virtual, region)}.>`;
    streams.push({ stream: deliveries, accounts: [account] });
    taken.push({ stream: { account: APP_ACCOUNT, subject: deliveries } });
    for (const { local, remote } of publishes) {
      offer(remote, region);
      taken.push({
        service: { account: APP_ACCOUNT, subject: remote },
        ...(local !== remote ? { to: local } : {}),
      });
    }
    imports[account] = taken;
  }
  const services = [...takers.entries()].map(([service, accounts]) => ({ service, accounts }));
  return { exports: [...services, ...streams], imports };
}
