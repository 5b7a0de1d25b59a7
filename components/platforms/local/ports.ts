/*
 * The ports of the `local` platform: every local server on one address, so each takes port k of
 * each kind's range, k being its place among the local servers of the super-cluster.
 */
import { Addressing } from "../../model/endpoints";
import { ServerPlan, SuperClusterPlan } from "../../model/plan";
import { PortBases } from "../../model/topology";
import { integerProblem, ProblemList } from "../../model/validation";

const FIELD = "local.ports";

export const LOOPBACK = "127.0.0.1";

export const DEFAULT_LOCAL_PORTS: PortBases = {
  client: 4222,
  cluster: 6222,
  gateway: 7222,
  monitor: 8222,
};

/** The port bases `local.ports` gives, defaults for the kinds it leaves out. */
export const localPorts = (given: Partial<PortBases> = {}): PortBases => ({
  ...DEFAULT_LOCAL_PORTS,
  ...given,
});

/** Each local server's place among the local servers: port k of each kind goes to the k-th. */
export function localPortIndex(plan: Pick<SuperClusterPlan, "clusters">): Map<string, number> {
  const index = new Map<string, number>();
  for (const server of plan.clusters.flatMap((c) => c.servers)) {
    if (server.platform === "local") index.set(server.name, index.size);
  }
  return index;
}

/** Every local server on 127.0.0.1, server k on base + k of each port kind. */
export function loopbackAddressing(plan: Pick<SuperClusterPlan, "clusters">, ports: PortBases): Addressing {
  const index = localPortIndex(plan);
  return (server) => {
    const k = index.get(server.name);
    if (k === undefined) throw new Error(`server ${server.name} does not run on the local platform`);
    return {
      host: LOOPBACK,
      bind: LOOPBACK,
      client: ports.client + k,
      cluster: ports.cluster + k,
      gateway: ports.gateway + k,
      monitor: ports.monitor + k,
    };
  };
}

/** Adds a problem for each port base out of range, and for ranges of the local servers that meet. */
export function checkLocalPorts(
  given: Partial<PortBases> | undefined,
  servers: ServerPlan[],
  problems: ProblemList,
): void {
  const ports = localPorts(given);
  const kinds = Object.keys(ports) as (keyof PortBases)[];
  const outOfRange = kinds.filter((kind) => integerProblem(ports[kind], 1, 65535) !== undefined);
  for (const kind of outOfRange) problems.check(`${FIELD}.${kind}`, integerProblem(ports[kind], 1, 65535));
  const count = servers.filter((s) => s.platform === "local").length;
  if (count === 0 || outOfRange.length > 0) return;
  for (const kind of kinds) {
    const last = ports[kind] + count - 1;
    if (last > 65535) {
      problems.add(
        `${FIELD}.${kind}`,
        `${count} local servers need ports ${ports[kind]}..${last}, past 65535: lower it`,
      );
    }
  }
  for (let a = 0; a < kinds.length; a++) {
    for (let b = a + 1; b < kinds.length; b++) {
      const [ka, kb] = [kinds[a], kinds[b]];
      if (Math.abs(ports[ka] - ports[kb]) < count) {
        problems.add(
          `${FIELD}.${kb}`,
          `ports ${ports[kb]}..${ports[kb] + count - 1} clash with ${FIELD}.${ka} ` +
            `(${ports[ka]}..${ports[ka] + count - 1}) for ${count} local servers: ` +
            `keep the bases at least ${count} apart`,
        );
      }
    }
  }
}
