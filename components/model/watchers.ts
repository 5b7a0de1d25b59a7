/*
 * Where the source watchers run and what each mends: one per region, beside its servers, so that a
 * region cut off keeps its own and the others keep theirs. A region's watcher mends its account's
 * streams (named as the virtual streams) and the application account's streams placed in its
 * cluster; the first region's also mends the stretch cluster's. Each stream has one watcher, so no
 * two ask its leader to step down at once.
 */
import { APP_ACCOUNT, regionAccount } from "./accounts";
import { SuperClusterPlan } from "./plan";

export interface WatcherPlan {
  /** The region it runs in; it reaches the servers through the region's cluster. */
  region: string;
  /** The accounts it reads, each with the clusters whose sourcing streams it mends (all if left out). */
  accounts: { account: string; clusters?: string[] }[];
}

export function planWatchers(plan: SuperClusterPlan): WatcherPlan[] {
  const regions = plan.clusters.filter((c) => !c.stretch).map((c) => c.name);
  const stretch = plan.clusters.filter((c) => c.stretch).map((c) => c.name);
  return regions.map((region, i) => ({
    region,
    accounts: [
      { account: APP_ACCOUNT, clusters: i === 0 ? [region, ...stretch] : [region] },
      { account: regionAccount(region) },
    ],
  }));
}

/** What a watcher logs first, once it has read its config: what its starter waits for. */
export const WATCHER_STARTED = "watching the sources of";
