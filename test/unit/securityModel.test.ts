import { createNKey, decodeJwt, formatCreds, keyPair, signJwt } from "../../components/credentials/jwt";
import { signedJwtProvider } from "../../components/credentials/signedJwt";
import { applyAccountPart, partHeld } from "../../components/model/security/accountParts";
import {
  accountClaims,
  jwtExports,
  jwtImports,
  UNLIMITED,
  userClaims,
} from "../../components/model/security/claims";
import { regionPermissions, watcherPermissions } from "../../components/model/security/permissions";
import { planSuperCluster } from "../../components/model/plan";
import { Consistency, planVirtualStream, RegionAccess } from "../../components/model/virtualStream";
import { seedTopology } from "../support/topologies";

const fooWest = { subject: "foo.west.>", type: "service" as const };
const barWest = { subject: "bar.west.>", type: "service" as const };
const fooDeliveries = { subject: "$SRC.foo.west.>", type: "stream" as const };

describe("account claims", () => {
  it("leave nothing at zero that the server would read as a limit", () => {
    const { limits } = accountClaims({});
    for (const key of ["subs", "data", "payload", "imports", "exports", "conn", "leaf"] as const) {
      expect(limits[key]).toBe(UNLIMITED);
    }
    expect(limits.mem_storage).toBe(UNLIMITED);
    expect(limits.disk_storage).toBe(UNLIMITED);
    expect(limits.tiered_limits).toBeUndefined();
  });

  it("give the system account no JetStream", () => {
    const { limits } = accountClaims(false);
    expect([limits.mem_storage, limits.disk_storage, limits.streams, limits.consumer]).toEqual([0, 0, 0, 0]);
    expect(limits.conn).toBe(UNLIMITED);
  });

  it("put limits per replica tier in tiered_limits, with the untiered ones at zero", () => {
    const { limits } = accountClaims({ R1: { fileStore: 1000 }, R3: { streams: 10, memoryStore: 2000 } });
    expect(limits.disk_storage).toBe(0);
    expect(limits.tiered_limits?.R1).toMatchObject({ disk_storage: 1000, mem_storage: UNLIMITED });
    expect(limits.tiered_limits?.R3).toMatchObject({ streams: 10, mem_storage: 2000, consumer: UNLIMITED });
  });

  it("write exports and imports as the account JWT names them, exporters by public key", () => {
    expect(
      jwtExports([
        { service: "foo.west.>", accounts: ["APP-west"] },
        { stream: "$SRC.foo.west.>", accounts: ["APP-west"] },
      ]),
    ).toEqual([fooWest, fooDeliveries]);
    const keys: Record<string, string> = { APP: "AAPP" };
    expect(
      jwtImports(
        [
          { service: { account: "APP", subject: "foo.west.>" }, to: "foo.>" },
          { service: { account: "APP", subject: "$JS.FC.x.>" } },
          { stream: { account: "APP", subject: "$SRC.foo.west.>" } },
        ],
        (account) => keys[account],
      ),
    ).toEqual([
      { subject: "foo.west.>", account: "AAPP", type: "service", local_subject: "foo.>" },
      { subject: "$JS.FC.x.>", account: "AAPP", type: "service" },
      { subject: "$SRC.foo.west.>", account: "AAPP", type: "stream" },
    ]);
  });
});

describe("account parts", () => {
  const base = accountClaims({});
  const withBoth = applyAccountPart(applyAccountPart(base, undefined, { exports: [fooWest] }), undefined, {
    exports: [barWest],
  });

  it("add each owner's exports beside the others'", () => {
    expect(withBoth.exports).toEqual([fooWest, barWest]);
    expect(withBoth.limits).toEqual(base.limits);
  });

  it("replace only the owner's own entries on a change, and remove them on delete", () => {
    const changed = applyAccountPart(withBoth, { exports: [fooWest] }, { exports: [fooWest, fooDeliveries] });
    expect(changed.exports).toEqual([barWest, fooWest, fooDeliveries]);
    const removed = applyAccountPart(changed, { exports: [barWest] }, undefined);
    expect(removed.exports).toEqual([fooWest, fooDeliveries]);
    const empty = applyAccountPart(removed, { exports: [fooWest, fooDeliveries] }, undefined);
    expect(empty).not.toHaveProperty("exports");
  });

  it("keep imports apart from exports: the same subject may be both, in different accounts' parts", () => {
    const imported = { subject: "foo.west.>", account: "AAPP", type: "service" as const };
    const both = applyAccountPart(withBoth, undefined, { imports: [imported] });
    expect(both.imports).toEqual([imported]);
    expect(applyAccountPart(both, { imports: [imported] }, undefined)).not.toHaveProperty("imports");
    expect(applyAccountPart(both, { imports: [imported] }, undefined).exports).toEqual(withBoth.exports);
  });

  it("set the limits without touching the exports", () => {
    const tiered = accountClaims({ R3: { streams: 5 } }).limits;
    const next = applyAccountPart(withBoth, { limits: base.limits }, { limits: tiered });
    expect(next.limits).toEqual(tiered);
    expect(next.exports).toEqual(withBoth.exports);
  });

  it("read back what the servers hold of a part, so that a change by hand shows as drift", () => {
    expect(partHeld(withBoth, { exports: [fooWest] })).toEqual({ exports: [fooWest] });
    const byHand = { ...withBoth, exports: [barWest] };
    expect(partHeld(byHand, { exports: [fooWest] })).toEqual({ exports: [] });
    const { exports: _gone, ...none } = withBoth;
    expect(partHeld(none, { imports: [] })).toEqual({ imports: [] });
  });
});

describe("signed JWTs", () => {
  const operator = createNKey("operator");
  const account = createNKey("account");

  it("are signed again when their issuer changes, also to one whose seed a preview does not know yet", async () => {
    const user = createNKey("user");
    const inputs = { name: "u", subject: user.publicKey, claims: userClaims(), issuerSeed: account.seed };
    const olds = { ...inputs, jwt: signJwt("u", user.publicKey, userClaims(), account.seed) };
    const diff = (issuerSeed: string) => signedJwtProvider.diff?.("u", olds, { ...inputs, issuerSeed });
    expect((await diff(account.seed))?.changes).toBe(false);
    expect((await diff(createNKey("account").seed))?.changes).toBe(true);
    // What the engine passes for a value computed during the update (an account key made with it).
    expect((await diff("04da6b54-80e4-46f7-96ec-b56ff0331ba9"))?.changes).toBe(true);
  });

  it("are signed by the issuer over header and claims, about the subject", () => {
    const jwt = signJwt("APP", account.publicKey, accountClaims({}), operator.seed);
    const [header, body, signature] = jwt.split(".");
    expect(JSON.parse(Buffer.from(header, "base64url").toString())).toEqual({
      typ: "JWT",
      alg: "ed25519-nkey",
    });
    const claims = decodeJwt(jwt);
    expect(claims).toMatchObject({ iss: operator.publicKey, sub: account.publicKey, name: "APP" });
    const signed = new TextEncoder().encode(`${header}.${body}`);
    expect(keyPair(operator.seed).verify(signed, Buffer.from(signature, "base64url"))).toBe(true);
    expect(keyPair(account.seed).verify(signed, Buffer.from(signature, "base64url"))).toBe(false);
  });

  it("are issued no earlier than asked, so that a pushed account JWT is newer than the one held", () => {
    const later = Math.floor(Date.now() / 1000) + 5;
    expect(decodeJwt(signJwt("APP", account.publicKey, accountClaims({}), operator.seed, later)).iat).toBe(
      later,
    );
  });

  it("make creds files that hold the user's JWT and seed", () => {
    const user = createNKey("user");
    const jwt = signJwt("u", user.publicKey, userClaims(), account.seed);
    const creds = formatCreds(jwt, user.seed);
    expect(creds).toMatch(/-----BEGIN NATS USER JWT-----\neyJ[^\n]+\n------END NATS USER JWT------/);
    expect(creds).toContain(`-----BEGIN USER NKEY SEED-----\n${user.seed}\n`);
    expect(user.publicKey).toMatch(/^U/);
    expect(user.seed).toMatch(/^SU/);
  });
});

describe("region permissions", () => {
  const superCluster = planSuperCluster(seedTopology());
  const access = (consistency: Consistency, region: string) =>
    planVirtualStream(
      { name: "foo", consistency, ...(consistency === "home" ? { homeRegion: "central" } : {}) },
      superCluster,
    ).access.find((a) => a.region === region) as RegionAccess;

  it("allow publishing on the virtual subjects, which the region account's imports lead to its writes", () => {
    const { pub } = regionPermissions([access("eventual", "west")]);
    expect(pub.allow).toContain("foo.>");
    expect(pub.allow?.some((s) => s.includes("west") || s.includes("east"))).toBe(false);
  });

  it("allow the virtual name's consumer and inspection API and acks, never a change to a stream", () => {
    const { pub, sub } = regionPermissions([access("eventual", "west")]);
    expect(pub.allow).toEqual(
      expect.arrayContaining([
        "$JS.API.INFO",
        "$JS.API.STREAM.INFO.foo",
        "$JS.API.CONSUMER.CREATE.foo.*",
        "$JS.API.CONSUMER.MSG.NEXT.foo.*",
        "$JS.ACK.foo.>",
      ]),
    );
    expect(pub.allow?.filter((s) => /STREAM\.(CREATE|UPDATE|DELETE|PURGE)|\$JS\.API\.>/.test(s))).toEqual([]);
    expect(sub.allow).toEqual(["_INBOX.>"]);
  });

  it("are the same in every mode and region: the names a region's account holds", () => {
    const allowed = (consistency: Consistency, region: string) =>
      [...(regionPermissions([access(consistency, region)]).pub.allow ?? [])].sort();
    for (const consistency of ["ordered", "immediate", "home"] as const) {
      expect(allowed(consistency, "central")).toEqual(allowed("eventual", "west"));
    }
  });

  it("join the virtual streams an application is given, without repeats", () => {
    const both = regionPermissions([access("eventual", "west"), access("ordered", "west")]).pub.allow ?? [];
    expect(new Set(both).size).toBe(both.length);
  });
});

describe("the source watcher's permissions", () => {
  it("allow listing streams, their info and a leader step-down of any, and its inbox, nothing else", () => {
    expect(watcherPermissions()).toEqual({
      pub: { allow: ["$JS.API.STREAM.LIST", "$JS.API.STREAM.INFO.*", "$JS.API.STREAM.LEADER.STEPDOWN.*"] },
      sub: { allow: ["_INBOX.>"] },
    });
  });
});
