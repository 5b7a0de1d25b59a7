import { createInbox, headers } from "@nats-io/nats-core";
import type { Msg } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createNKey, decodeJwt, formatCreds, signJwt } from "../../components/credentials/jwt";
import { AccountTarget, lookupAccountJwt } from "../../components/jetstream/accountClaims";
import { accountPartProvider } from "../../components/jetstream/accountPartProvider";
import { connectionAuth } from "../../components/jetstream/clientAuth";
import { closeAllSessions } from "../../components/jetstream/connection";
import { userRevocationProvider } from "../../components/jetstream/userRevocationProvider";
import { monitorUrl } from "../../components/model/endpoints";
import { loopbackAddressing } from "../../components/platforms/local/ports";

import { planSuperCluster } from "../../components/model/plan";
import {
  AccountClaims,
  accountClaims,
  jwtMappings,
  operatorClaims,
  userClaims,
} from "../../components/model/security/claims";
import { planVirtualStream } from "../../components/model/virtualStream";
import { MappingTable } from "../../components/model/mappings";
import { seedTopology } from "../support/topologies";
import { renderServerConfig } from "../../components/model/serverConfig";
import { serverFiles, startServer, stopServer } from "../../components/platforms/local/processes";
import { eventually } from "../support/monitor";
import { tool } from "../support/tools";

// Below 32768: ports in the ephemeral range may be taken by any outgoing connection.
const PORTS = { client: 19622, cluster: 19722, gateway: 19822, monitor: 19922 };
const CLIENT_URL = `nats://127.0.0.1:${PORTS.client}`;

/** One server in operator mode, and the account parts of a program pushed to it over NATS. */
describe("account JWT parts, pushed to a server in operator mode", () => {
  const operator = createNKey("operator");
  const system = createNKey("account");
  const app = createNKey("account");
  const systemUser = createNKey("user");
  let dir: string;
  let target: AccountTarget;

  const userCreds = (permissions = userClaims()) => {
    const user = createNKey("user");
    return { user, creds: formatCreds(signJwt("u", user.publicKey, permissions, app.seed), user.seed) };
  };
  const heldClaims = async () => decodeJwt<AccountClaims>(await lookupAccountJwt(target)).nats;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-claims-"));
    const plan = planSuperCluster({ regions: [{ name: "solo", servers: 1 }] });
    const server = plan.clusters[0].servers[0];
    const addressing = loopbackAddressing(plan, PORTS);
    const files = serverFiles(path.join(dir, server.name));
    const config = renderServerConfig(server, {
      plan,
      addressing,
      files: { storeDir: files.storeDir, logFile: files.logFile },
      auth: {
        operator: {
          jwt: signJwt("op", operator.publicKey, operatorClaims(system.publicKey), operator.seed),
          systemAccount: system.publicKey,
          preload: {
            [system.publicKey]: signJwt("SYS", system.publicKey, accountClaims(false), operator.seed),
            [app.publicKey]: signJwt("APP", app.publicKey, accountClaims({}), operator.seed),
          },
        },
      },
    });
    await startServer({
      binary: tool("nats-server"),
      dir: files.dir,
      config,
      monitorUrl: monitorUrl(addressing(server)),
      timeoutMs: 20_000,
    });
    const systemJwt = signJwt("sys", systemUser.publicKey, userClaims(), system.seed);
    target = {
      name: "APP",
      publicKey: app.publicKey,
      operatorSeed: operator.seed,
      connection: { servers: [CLIENT_URL], credentials: formatCreds(systemJwt, systemUser.seed) },
      servers: 1,
    };
  });

  afterAll(async () => {
    await closeAllSessions();
    await stopServer(path.join(dir, "solo-1"), 5000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const foo = { "foo.>": [{ subject: "foo.solo.>", weight: 100 }] };
  const bar = { "bar.>": [{ subject: "bar.solo.>", weight: 100 }] };

  it("adds each owner's mappings to the account, and changes or removes only its own", async () => {
    await accountPartProvider.create!({ owner: "foo", target, part: { mappings: foo } });
    await accountPartProvider.create!({ owner: "bar", target, part: { mappings: bar } });
    expect((await heldClaims()).mappings).toEqual({ ...foo, ...bar });
    const moved = { "foo.>": [{ subject: "foo.elsewhere.>", weight: 100 }] };
    await accountPartProvider.update!(
      "foo",
      { owner: "foo", target, part: { mappings: foo } },
      {
        owner: "foo",
        target,
        part: { mappings: moved },
      },
    );
    expect((await heldClaims()).mappings).toEqual({ ...moved, ...bar });
    await accountPartProvider.delete!("foo", { owner: "foo", target, part: { mappings: moved } });
    expect((await heldClaims()).mappings).toEqual(bar);
  });

  it("serves a pushed mapping to clients at once, without a restart", async () => {
    const { creds } = userCreds();
    const nc = await connect({ servers: CLIENT_URL, ...connectionAuth({ creds }) });
    try {
      const seen: string[] = [];
      nc.subscribe("bar.solo.>", { callback: (_e: Error | null, m: Msg) => seen.push(m.subject) });
      await nc.flush();
      nc.publish("bar.x");
      await eventually("the mapped message", async () => (seen.length > 0 ? seen : undefined));
      expect(seen).toEqual(["bar.solo.x"]);
    } finally {
      await nc.close();
    }
  });

  it("reads back what the servers hold of a part, so that a change by hand shows as drift", async () => {
    const inputs = { owner: "bar", target, part: { mappings: bar } };
    const byHand = {
      ...(await heldClaims()),
      mappings: { "bar.>": [{ subject: "bar.hand.>", weight: 100 }] },
    };
    const held = decodeJwt(await lookupAccountJwt(target));
    const jwt = signJwt("APP", app.publicKey, byHand, operator.seed, held.iat + 1);
    const nc = await connect({
      servers: CLIENT_URL,
      ...connectionAuth({ creds: target.connection.credentials as string }),
    });
    await nc.request("$SYS.REQ.CLAIMS.UPDATE", jwt, { timeout: 2000 });
    await nc.close();
    const read = await accountPartProvider.read!("bar", inputs);
    expect(read.props?.part).toEqual({ mappings: byHand.mappings });
    const diff = await accountPartProvider.diff!("bar", read.props as typeof inputs, inputs);
    expect(diff.changes).toBe(true);
  });

  it("revokes a user when its revocation resource goes: refused from then on, its connection closed", async () => {
    const { user, creds } = userCreds();
    const live = await connect({ servers: CLIENT_URL, reconnect: false, ...connectionAuth({ creds }) });
    let closed = false;
    void live.closed().then(() => (closed = true));
    await userRevocationProvider.create!({ user: user.publicKey, target });
    expect((await heldClaims()).revocations).toBeUndefined();
    await userRevocationProvider.delete!(user.publicKey, { user: user.publicKey, target });
    expect(Object.keys((await heldClaims()).revocations ?? {})).toEqual([user.publicKey]);
    await eventually("the revoked user's connection closed", async () => (closed ? true : undefined));
    await expect(
      connect({ servers: CLIENT_URL, reconnect: false, ...connectionAuth({ creds }) }),
    ).rejects.toThrow(/authorization|revoked/i);
    // Another user of the account is not touched.
    const other = await connect({ servers: CLIENT_URL, ...connectionAuth({ creds: userCreds().creds }) });
    await other.close();
  });

  // Every mapping of every consistency mode, from the account JWT with its cluster scope, as the
  // server applies it: message tracing (Nats-Trace-Only) reports what a subject maps to, stores
  // nothing and needs no responder.
  it.each(["eventual", "ordered", "immediate", "home"] as const)(
    "maps every subject of a %s virtual stream, JetStream API and acks included, from the JWT",
    async (consistency) => {
      // Planned on the seed's topology; west's destinations, scoped to this server's cluster.
      const plan = planVirtualStream(
        { name: `t${consistency}`, consistency, ...(consistency === "home" ? { homeRegion: "west" } : {}) },
        planSuperCluster(seedTopology()),
      );
      const west: MappingTable = Object.fromEntries(
        Object.entries(plan.mappings).map(([source, destinations]) => [
          source,
          destinations.filter((d) => d.cluster === "west").map((d) => ({ ...d, cluster: "solo" })),
        ]),
      );
      await accountPartProvider.create!({ owner: plan.name, target, part: { mappings: jwtMappings(west) } });
      const { creds } = userCreds();
      const nc = await connect({ servers: CLIENT_URL, ...connectionAuth({ creds }) });
      try {
        const concrete = (pattern: string) => pattern.replace(/\*/g, "x").replace(/>$/, "x.y");
        for (const [source, [destination]] of Object.entries(west)) {
          const inbox = createInbox();
          const sub = nc.subscribe(inbox, { max: 1, timeout: 5000 });
          const trace = headers();
          trace.set("Nats-Trace-Dest", inbox);
          trace.set("Nats-Trace-Only", "true");
          nc.publish(concrete(source), "", { headers: trace });
          let mapped: string | undefined;
          for await (const m of sub) {
            const events = (m.json() as { events: { type: string; to?: string }[] }).events;
            mapped = events.find((e) => e.type === "sm")?.to;
          }
          const expected = concrete(destination.destination.replace(/\{\{wildcard\(\d+\)\}\}/g, "*"));
          expect({ source, mapped }).toEqual({ source, mapped: expected });
        }
      } finally {
        await nc.close();
      }
    },
  );
});
