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
  jwtExports,
  jwtImports,
  operatorClaims,
  userClaims,
} from "../../components/model/security/claims";
import { planVirtualStream } from "../../components/model/virtualStream";
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
  // A region's account, whose imports reach the application account's exports.
  const west = createNKey("account");
  const systemUser = createNKey("user");
  let dir: string;
  let target: AccountTarget;
  let westTarget: AccountTarget;
  const keys: Record<string, string> = { APP: app.publicKey, "APP-west": west.publicKey };

  const userCreds = (permissions = userClaims(), account = app) => {
    const user = createNKey("user");
    return { user, creds: formatCreds(signJwt("u", user.publicKey, permissions, account.seed), user.seed) };
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
            [west.publicKey]: signJwt("APP-west", west.publicKey, accountClaims({}), operator.seed),
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
    westTarget = { ...target, name: "APP-west", publicKey: west.publicKey };
  });

  afterAll(async () => {
    await closeAllSessions();
    await stopServer(path.join(dir, "solo-1"), 5000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const exported = (subject: string) => ({ subject, type: "service" as const });
  const foo = [exported("foo.solo.>")];
  const bar = [exported("bar.solo.>")];

  it("adds each owner's exports to the account, and changes or removes only its own", async () => {
    await accountPartProvider.create!({ owner: "foo", target, part: { exports: foo } });
    await accountPartProvider.create!({ owner: "bar", target, part: { exports: bar } });
    expect((await heldClaims()).exports).toEqual([...foo, ...bar]);
    const moved = [exported("foo.elsewhere.>")];
    await accountPartProvider.update!(
      "foo",
      { owner: "foo", target, part: { exports: foo } },
      { owner: "foo", target, part: { exports: moved } },
    );
    expect((await heldClaims()).exports).toEqual([...bar, ...moved]);
    await accountPartProvider.delete!("foo", { owner: "foo", target, part: { exports: moved } });
    expect((await heldClaims()).exports).toEqual(bar);
  });

  it("serves a pushed import to the region account's clients at once, without a restart", async () => {
    const imports = jwtImports(
      [{ service: { account: "APP", subject: "bar.solo.>" }, to: "bar.>" }],
      (a) => keys[a],
    );
    await accountPartProvider.create!({ owner: "bar", target: westTarget, part: { imports } });
    const responder = await connect({ servers: CLIENT_URL, ...connectionAuth({ creds: userCreds().creds }) });
    const client = await connect({
      servers: CLIENT_URL,
      ...connectionAuth({ creds: userCreds(userClaims(), west).creds }),
    });
    try {
      responder.subscribe("bar.solo.>", { callback: (_e: Error | null, m: Msg) => m.respond(m.subject) });
      await responder.flush();
      const reply = await eventually("the import to answer", async () =>
        client.request("bar.x", "", { timeout: 1000 }).catch(() => undefined),
      );
      expect(reply.string()).toBe("bar.solo.x");
    } finally {
      await Promise.all([responder.close(), client.close()]);
      await accountPartProvider.delete!("bar", { owner: "bar", target: westTarget, part: { imports } });
    }
  });

  it("reads back what the servers hold of a part, so that a change by hand shows as drift", async () => {
    const inputs = { owner: "bar", target, part: { exports: bar } };
    const byHand = { ...(await heldClaims()), exports: [exported("bar.hand.>")] };
    const held = decodeJwt(await lookupAccountJwt(target));
    const jwt = signJwt("APP", app.publicKey, byHand, operator.seed, held.iat + 1);
    const nc = await connect({
      servers: CLIENT_URL,
      ...connectionAuth({ creds: target.connection.credentials as string }),
    });
    await nc.request("$SYS.REQ.CLAIMS.UPDATE", jwt, { timeout: 2000 });
    await nc.close();
    const read = await accountPartProvider.read!("bar", inputs);
    expect(read.props?.part).toEqual({ exports: [] });
    const diff = await accountPartProvider.diff!("bar", read.props as typeof inputs, inputs);
    expect(diff.changes).toBe(true);
    await accountPartProvider.update!("bar", read.props as typeof inputs, inputs);
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

  // Every link of every consistency mode, from the accounts' JWTs, as the server applies them:
  // message tracing (Nats-Trace-Only) reports the service import a subject of the region account
  // goes through, stores nothing and needs no responder.
  it.each(["eventual", "ordered", "immediate", "home"] as const)(
    "leads every publish and consumer create of a %s virtual stream's region account to the application account",
    async (consistency) => {
      // Planned on the seed's topology: west's account is the one this server holds.
      const plan = planVirtualStream(
        { name: `t${consistency}`, consistency, ...(consistency === "home" ? { homeRegion: "west" } : {}) },
        planSuperCluster(seedTopology()),
      );
      const exportPart = { exports: jwtExports(plan.links.exports) };
      const importPart = { imports: jwtImports(plan.links.imports["APP-west"], (a) => keys[a]) };
      await accountPartProvider.create!({ owner: plan.name, target, part: exportPart });
      await accountPartProvider.create!({ owner: plan.name, target: westTarget, part: importPart });
      const nc = await connect({
        servers: CLIENT_URL,
        ...connectionAuth({ creds: userCreds(userClaims(), west).creds }),
      });
      try {
        const concrete = (pattern: string) => pattern.replace(/\*/g, "x").replace(/>$/, "x.y");
        const services = importPart.imports.filter((i) => i.type === "service");
        expect(services.length).toBeGreaterThan(0);
        for (const imported of services) {
          const inbox = createInbox();
          const sub = nc.subscribe(inbox, { max: 1, timeout: 5000 });
          const trace = headers();
          trace.set("Nats-Trace-Dest", inbox);
          trace.set("Nats-Trace-Only", "true");
          nc.publish(concrete(imported.local_subject ?? imported.subject), "", { headers: trace });
          let through: string | undefined;
          for await (const m of sub) {
            const events = (m.json() as { events: { type: string; to?: string }[] }).events;
            through = events.find((e) => e.type === "si")?.to;
          }
          expect({ imported: imported.subject, through }).toEqual({
            imported: imported.subject,
            through: concrete(imported.subject),
          });
        }
      } finally {
        await nc.close();
        await accountPartProvider.delete!(plan.name, {
          owner: plan.name,
          target: westTarget,
          part: importPart,
        });
        await accountPartProvider.delete!(plan.name, { owner: plan.name, target, part: exportPart });
      }
    },
  );
});
