import * as pulumi from "@pulumi/pulumi";
import { consumerProvider } from "../../components/jetstream/consumerProvider";
import { streamProvider } from "../../components/jetstream/streamProvider";
import { generatedPasswordProvider } from "../../components/credentials/generatedPassword";
import { dataDirProvider } from "../../components/platforms/local/dataDirProvider";
import { localServerProvider } from "../../components/platforms/local/serverProvider";
import { latencyProxyProvider } from "../../components/platforms/local/latencyProxyProvider";
import { nkeyPairProvider } from "../../components/credentials/nkeyPair";
import { signedJwtProvider } from "../../components/credentials/signedJwt";
import { accountPartProvider } from "../../components/jetstream/accountPartProvider";
import * as regionNetwork from "../../components/platforms/local/regionNetwork";
import { dropRules, planRegionNetwork } from "../../components/platforms/local/regionNetworkPlan";

const requireFromString = require("require-from-string") as (code: string) => { handler: () => unknown };

/** What the dynamic-provider process does with `__provider`: Pulumi's serializer, then a fresh module. */
async function roundTrip<T>(provider: T): Promise<{ text: string; provider: T }> {
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return { text: serialized.text, provider: requireFromString(serialized.text).handler() as T };
}

const connection = { servers: ["nats://127.0.0.1:4222"], user: "app", password: "pw" };

describe("dynamic providers through Pulumi's closure serializer", () => {
  it.each([
    ["Stream", streamProvider],
    ["Consumer", consumerProvider],
    ["local Server", localServerProvider],
    ["local DataDir", dataDirProvider],
    ["local LatencyProxy", latencyProxyProvider],
    ["NKeyPair", nkeyPairProvider],
    ["SignedJwt", signedJwtProvider],
    ["AccountPart", accountPartProvider],
    ["GeneratedPassword", generatedPasswordProvider],
  ])("%s captures no nats.js or Pulumi module by value", async (_, provider) => {
    const { text } = await roundTrip(provider);
    // Modules from node_modules must arrive as require() calls, not as serialized copies.
    expect(text).not.toMatch(
      /class NatsConnectionImpl|class JetStreamManagerImpl|function serializeFunction/,
    );
    expect(text.length).toBeLessThan(200_000);
  });

  it("carries the region network's functions, and the plans they take, with built-ins only", async () => {
    const { text, provider } = await roundTrip({ ...regionNetwork, planRegionNetwork, dropRules });
    expect(text).not.toMatch(/require\("(?!child_process"|fs")[^"]*"\)/);
    const plan = provider.planRegionNetwork({ prefix: "ng1a2b", regions: ["a", "b"] });
    expect(plan).toEqual(planRegionNetwork({ prefix: "ng1a2b", regions: ["a", "b"] }));
    expect(provider.dropRules(plan, { partition: [["a"]] })).toHaveLength(2);
    expect(provider.namespaceLauncher("ng1a2b-0")).toEqual(["ip", "netns", "exec", "ng1a2b-0"]);
    expect(Object.keys(provider)).toEqual(
      expect.arrayContaining(["createRegionNetwork", "setNetworkFaults"]),
    );
  });

  it("makes and signs with NKeys after the round trip, requiring nkeys rather than carrying it", async () => {
    const keys = await roundTrip(nkeyPairProvider);
    expect(keys.text).not.toMatch(/function createOperator|tweetnacl/);
    const operator = (await keys.provider.create!({ kind: "operator", generation: 0 })).outs as {
      publicKey: string;
      seed: string;
    };
    expect(operator.publicKey).toMatch(/^O[A-Z2-7]{55}$/);
    const jwts = await roundTrip(signedJwtProvider);
    const claims = { type: "operator" as const, version: 2 as const, system_account: "A" };
    const signed = await jwts.provider.create!({
      name: "op",
      subject: operator.publicKey,
      claims,
      issuerSeed: operator.seed,
    });
    expect((signed.outs as { jwt: string }).jwt.split(".")).toHaveLength(3);
  });

  it("keeps the stream provider's checks and diffs working after the round trip", async () => {
    const { provider, text } = await roundTrip(streamProvider);
    // As the engine sends them: with the provider's own source text, which holds the unknown marker.
    const news = { name: "orders", subjects: ["orders.>"], maxAge: "60m", connection, __provider: text };
    const checked = await provider.check!({} as never, news as never);
    expect(checked).toEqual(await streamProvider.check!({} as never, news as never));
    expect(checked.inputs).toMatchObject({ name: "orders", maxAge: "1h" });
    expect(
      await provider.check!(
        {} as never,
        {
          ...news,
          sources: [{ name: "x", filterSubject: "y", subjectTransforms: [{ src: "y", dest: "z" }] }],
        } as never,
      ),
    ).toEqual({
      failures: [
        { property: "sources[0].subjectTransforms", reason: expect.stringContaining("cannot have both") },
      ],
    });
    const diff = await provider.diff!("orders", checked.inputs!, { ...checked.inputs!, storage: "memory" });
    expect(diff).toMatchObject({ changes: true, replaces: ["storage"], deleteBeforeReplace: true });
  });

  it("generates passwords of 48 hex characters, which no command line reads as a flag", async () => {
    const { provider } = await roundTrip(generatedPasswordProvider);
    const made = await Promise.all([1, 2, 3].map(() => provider.create({ bytes: 24 })));
    for (const { outs } of made) expect(outs?.result).toMatch(/^[0-9a-f]{48}$/);
    expect(new Set(made.map((m) => m.outs?.result)).size).toBe(3);
  });

  it("keeps the consumer provider's checks and diffs working after the round trip", async () => {
    const { provider } = await roundTrip(consumerProvider);
    const news = { stream: "orders", name: "billing", ackPolicy: "explicit", ackWait: "30s", connection };
    const checked = await provider.check!({} as never, news as never);
    expect(checked.inputs).toEqual({ stream: "orders", name: "billing", ackPolicy: "explicit", connection });
    const diff = await provider.diff!("orders/billing", checked.inputs!, {
      ...checked.inputs!,
      ackWait: "1m",
    });
    expect(diff).toMatchObject({ changes: true, replaces: [] });
  });
});
