import * as fs from "fs";
import * as path from "path";
import { runInProject, TestStack } from "../support/stackRunner";
import { killAll, natsServerPids } from "../support/processes";

jest.setTimeout(600_000);

const REGIONS = [
  { name: "west", servers: 1 },
  { name: "central", servers: 1 },
  { name: "east", servers: 1 },
];
const FOO = { name: "foo", consistency: "eventual", numReplicas: 1 };
const CONFIG = {
  regions: REGIONS,
  ports: { client: 14222, cluster: 14322, gateway: 14422, monitor: 14522 },
  virtualStreams: [FOO],
};

/**
 * The summary of real previews of a running local stack, as a reviewer gets it in a pull request:
 * one change to the stack's config at a time, put back after its preview.
 */
describe("the preview summary (scripts/previewSummary.ts) of real previews of the local stack", () => {
  const stack = new TestStack("e2e-preview", CONFIG);

  beforeAll(async () => {
    const up = await stack.run("up", 300_000);
    expect({ code: up.code, error: up.code === 0 ? "" : up.output }).toEqual({ code: 0, error: "" });
  });

  afterAll(async () => {
    await stack.remove();
    killAll(natsServerPids(stack.dataDir));
  });

  const summaryWith = async (key: string, value: unknown): Promise<string> => {
    const before = stack.getConfig(key);
    stack.setConfig(key, value);
    try {
      const run = await runInProject(["ts-node", "scripts/previewSummary.ts", stack.name], 180_000);
      expect({ code: run.code, error: run.code === 0 ? "" : run.output }).toEqual({ code: 0, error: "" });
      // The README's examples are these summaries: PREVIEW_SUMMARY_EXAMPLES=<file> collects them.
      const examples = process.env.PREVIEW_SUMMARY_EXAMPLES;
      if (examples !== undefined) fs.appendFileSync(examples, `${run.output}\n`);
      return run.output;
    } finally {
      stack.setConfig(key, before);
    }
  };

  it("says nothing changes when nothing does, into the file --out names", async () => {
    const out = path.join(stack.dataDir, "summary.md");
    const run = await runInProject(
      ["ts-node", "scripts/previewSummary.ts", stack.name, "--out", out],
      180_000,
    );
    expect({ code: run.code, output: run.output }).toEqual({ code: 0, output: "" });
    const summary = fs.readFileSync(out, "utf8");
    expect(summary).toContain(
      "## Preview of `e2e-preview`: 0 to create, 0 to update, 0 to replace, 0 to delete",
    );
    expect(summary).toContain("No change.");
    expect(summary).not.toContain("[!WARNING]");
  });

  it("adds a virtual stream: its streams created, and the copying between regions it starts, flagged", async () => {
    const summary = await summaryWith("virtualStreams", [FOO, { ...FOO, name: "bar" }]);
    expect(summary).toContain("### Virtual stream `bar`");
    expect(summary).toMatch(/\| create \| stream `bar-write-west` \|/);
    expect(summary).toMatch(/\| create \| stream `bar` in east \|/);
    expect(summary).toContain(
      "**Data across regions**: stream `bar` in east starts copying `bar-write-west` (west → east), `bar-write-central` (central → east)",
    );
    expect(summary).not.toContain("Virtual stream `foo`");
    expect(summary).not.toContain("Messages lost");
  });

  it("shortens the outage window: the write streams updated field by field, and the loss flagged", async () => {
    const summary = await summaryWith("virtualStreams", [{ ...FOO, outageWindow: "30m" }]);
    expect(summary).toContain("### Virtual stream `foo`");
    expect(summary).toContain('| update | stream `foo-write-west` | maxAge: "1h" → "30m" |');
    expect(summary).toContain(
      '**Messages lost**: stream `foo-write-east` keeps less, maxAge "1h" → "30m": the outage window a region may be cut off for is shorter',
    );
    expect(summary).not.toMatch(/\| (create|replace|delete) \|/);
  });

  it("changes the storage: every stream replaced, each flagged as losing its messages", async () => {
    const summary = await summaryWith("virtualStreams", [{ ...FOO, storage: "memory" }]);
    for (const stream of ["`foo-write-west`", "`foo` in west", "`foo-write-east`", "`foo` in east"]) {
      expect(summary).toMatch(
        new RegExp(`\\| replace \\| stream ${stream} \\|[^\\n]*storage: \\(default\\) → "memory"`),
      );
      expect(summary).toContain(
        `**Messages lost**: stream ${stream} is replaced (deleted, then created empty) with every message it holds`,
      );
    }
  });

  it("removes a region: its cluster and streams deleted, flagged, and the other regions' sources updated", async () => {
    const summary = await summaryWith("regions", REGIONS.slice(0, 2));
    expect(summary).toContain(
      "**Region or cluster removed**: `nats-east`, its servers and the data they hold",
    );
    expect(summary).toContain(
      "**Messages lost**: stream `foo` in east is deleted with every message it holds",
    );
    expect(summary).toMatch(/\| update \| stream `foo` in west \| sources: /);
    expect(summary).toMatch(/\| delete \| Cluster `nats-east` \|/);
  });
});
