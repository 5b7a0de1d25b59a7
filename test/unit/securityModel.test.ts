import { createNKey, decodeJwt, formatCreds, keyPair, signJwt } from "../../components/credentials/jwt";
import { applyAccountPart, partHeld } from "../../components/model/security/accountParts";
import { accountClaims, jwtMappings, UNLIMITED, userClaims } from "../../components/model/security/claims";
import { regionPermissions } from "../../components/model/security/permissions";
import { planSuperCluster } from "../../components/model/plan";
import { Consistency, planVirtualStream, RegionAccess } from "../../components/model/virtualStream";
import { seedTopology } from "../support/topologies";

const west = { subject: "foo.west.>", weight: 100, cluster: "west" };
const east = { subject: "foo.east.>", weight: 100, cluster: "east" };

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

  it("write mappings as the account JWT names them, keeping the cluster scope", () => {
    expect(jwtMappings({ "foo.>": [{ destination: "foo.west.>", weight: 100, cluster: "west" }] })).toEqual({
      "foo.>": [west],
    });
    expect(jwtMappings({ "a.>": [{ destination: "b.>", weight: 50 }] })).toEqual({
      "a.>": [{ subject: "b.>", weight: 50 }],
    });
  });
});

describe("account parts", () => {
  const base = accountClaims({});
  const withBoth = applyAccountPart(
    applyAccountPart(base, undefined, { mappings: { "foo.>": [west] } }),
    undefined,
    { mappings: { "bar.>": [east] } },
  );

  it("add each owner's mappings beside the others'", () => {
    expect(withBoth.mappings).toEqual({ "foo.>": [west], "bar.>": [east] });
    expect(withBoth.limits).toEqual(base.limits);
  });

  it("replace only the owner's own entries on a change, and remove them on delete", () => {
    const changed = applyAccountPart(
      withBoth,
      { mappings: { "foo.>": [west] } },
      { mappings: { "foo.*": [east] } },
    );
    expect(changed.mappings).toEqual({ "foo.*": [east], "bar.>": [east] });
    const removed = applyAccountPart(changed, { mappings: { "bar.>": [east] } }, undefined);
    expect(removed.mappings).toEqual({ "foo.*": [east] });
    const empty = applyAccountPart(removed, { mappings: { "foo.*": [east] } }, undefined);
    expect(empty).not.toHaveProperty("mappings");
  });

  it("set the limits without touching the mappings", () => {
    const tiered = accountClaims({ R3: { streams: 5 } }).limits;
    const next = applyAccountPart(withBoth, { limits: base.limits }, { limits: tiered });
    expect(next.limits).toEqual(tiered);
    expect(next.mappings).toEqual(withBoth.mappings);
  });

  it("read back what the servers hold of a part, so that a change by hand shows as drift", () => {
    const byHand = { ...withBoth, mappings: { ...withBoth.mappings, "foo.>": [east] } };
    expect(partHeld(byHand, { mappings: { "foo.>": [west] } })).toEqual({ mappings: { "foo.>": [east] } });
    const { mappings: _gone, ...none } = withBoth;
    expect(partHeld(none, { mappings: { "foo.>": [west] } })).toEqual({ mappings: {} });
  });
});

describe("signed JWTs", () => {
  const operator = createNKey("operator");
  const account = createNKey("account");

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

  it("allow publishing where the region's writes land once mapped, and nowhere else", () => {
    const { pub } = regionPermissions([access("eventual", "west")]);
    expect(pub.allow).toContain("foo.west.>");
    expect(pub.allow).not.toContain("foo.>");
    expect(pub.allow?.some((s) => s.includes("east") || s.includes("central"))).toBe(false);
  });

  it("allow the region's read stream's consumer and inspection API and acks, never a change to a stream", () => {
    const { pub, sub } = regionPermissions([access("eventual", "west")]);
    expect(pub.allow).toEqual(
      expect.arrayContaining([
        "$JS.API.INFO",
        "$JS.API.STREAM.INFO.foo-read-west",
        "$JS.API.CONSUMER.CREATE.foo-read-west.*",
        "$JS.API.CONSUMER.MSG.NEXT.foo-read-west.*",
        "$JS.ACK.foo-read-west.>",
      ]),
    );
    expect(pub.allow?.filter((s) => /STREAM\.(CREATE|UPDATE|DELETE|PURGE)|\$JS\.API\.>/.test(s))).toEqual([]);
    expect(sub.allow).toEqual(["_INBOX.>"]);
  });

  it("follow each mode: the stretched and home streams take the virtual subjects themselves", () => {
    expect(regionPermissions([access("immediate", "east")]).pub.allow).toContain("foo.>");
    expect(regionPermissions([access("home", "west")]).pub.allow).toEqual(
      expect.arrayContaining(["foo.>", "$JS.API.STREAM.INFO.foo-read-west"]),
    );
    expect(regionPermissions([access("home", "central")]).pub.allow).toContain(
      "$JS.API.STREAM.INFO.foo-home",
    );
  });

  it("join the virtual streams an application is given, without repeats", () => {
    const both = regionPermissions([access("eventual", "west"), access("ordered", "west")]).pub.allow ?? [];
    expect(new Set(both).size).toBe(both.length);
  });
});
