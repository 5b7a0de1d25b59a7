/*
 * The package as a user gets it: `npm pack` (which builds it), unpacked into the node_modules of a
 * fresh project, used by a program that knows only the package name, through the real Pulumi CLI.
 * The dynamic providers then load the package by name in the provider process instead of carrying
 * its code in every resource's state.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { installPackedPackage } from "../support/installedPackage";
import { killAll, natsServerPids } from "../support/processes";
import { ProgramStack } from "../support/programStack";
import { PROJECT_DIR } from "../support/tools";

jest.setTimeout(300_000);

const PROJECT = path.join(PROJECT_DIR, ".pulumi-state", "work", "installed-package");
const STACK = "e2e-installed";
const PACKAGE_DIR = path.join(PROJECT, "node_modules", "pulumi-nats-global");
const stack = new ProgramStack(STACK, path.join(PROJECT, "superCluster.js"), PROJECT);
const runProgram = (command: "up" | "preview" | "destroy") => stack.run(command, {}, 240_000);

function pulumi(...args: string[]): string {
  const result = spawnSync(
    "bash",
    [path.join(PROJECT_DIR, "scripts", "with-env.sh"), "pulumi", ...args, "--stack", STACK],
    { cwd: PROJECT, encoding: "utf8" },
  );
  if (result.status !== 0)
    throw new Error(`pulumi ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

describe("the package installed from its npm tarball", () => {
  beforeAll(() => installPackedPackage(PROJECT));

  afterAll(async () => {
    await runProgram("destroy");
    await stack.run("rm", {});
    killAll(natsServerPids(path.join(PROJECT, ".data")));
    fs.rmSync(PROJECT, { recursive: true, force: true });
  });

  it("ships only the compiled components", () => {
    const files = spawnSync("find", [PACKAGE_DIR, "-type", "f", "-name", "*.js"], { encoding: "utf8" })
      .stdout.trim()
      .split("\n")
      .map((f) => path.relative(PACKAGE_DIR, f));
    expect(files).toContain("dist/components/index.js");
    expect(files.filter((f) => !f.startsWith("dist/components/"))).toEqual([]);
  });

  it("type-checks the README's complete TypeScript examples against the package's declarations", () => {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
    const programs = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((m) => m[1])
      .filter((code) => code.includes('from "pulumi-nats-global"'));
    expect(programs.length).toBeGreaterThanOrEqual(2);
    const files = programs.map((code, i) => {
      const file = `readme-example-${i + 1}.ts`;
      fs.writeFileSync(path.join(PROJECT, file), code);
      return file;
    });
    // How a current TypeScript project resolves the package: through its "exports" and their types.
    const tsconfig = {
      compilerOptions: { strict: true, noEmit: true, module: "node16", target: "ES2022", types: ["node"] },
      files,
    };
    fs.writeFileSync(path.join(PROJECT, "tsconfig.json"), JSON.stringify(tsconfig));
    const tsc = spawnSync(path.join(PROJECT_DIR, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], {
      cwd: PROJECT,
      encoding: "utf8",
    });
    expect(`${tsc.stdout}${tsc.stderr}`).toBe("");
    expect(tsc.status).toBe(0);
  });

  it("deploys a super-cluster, a virtual stream and a stream from a program that knows only its name", async () => {
    const up = await runProgram("up");
    expect({ code: up.code, output: up.code === 0 ? "" : up.output }).toEqual({ code: 0, output: "" });

    const outputs = JSON.parse(pulumi("stack", "output", "--json", "--show-secrets"));
    const nc = await connect({
      servers: outputs.orders.west.clientUrls,
      user: outputs.regionCredentials.west.user,
      pass: outputs.regionCredentials.west.password,
    });
    try {
      const ack = await jetstream(nc).publish("orders.created", "an order", { msgID: "installed-1" });
      expect(ack.stream).toBe("orders-write-west");
      expect((await (await jetstreamManager(nc)).streams.info("orders")).cluster?.name).toBe("west");
    } finally {
      await nc.close();
    }
  });

  it("keeps each provider in state as a reference to the installed package, not a copy of its code", () => {
    const state = JSON.parse(pulumi("stack", "export"));
    const providers = (state.deployment.resources as { type: string; inputs?: { __provider?: string } }[])
      .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))
      .map((r) => ({ type: r.type, code: r.inputs?.__provider ?? "" }));
    expect(providers.map((p) => p.type)).toEqual(
      expect.arrayContaining([
        "pulumi-nodejs:dynamic/local:Server",
        "pulumi-nodejs:dynamic/jetstream:Stream",
        "pulumi-nodejs:dynamic/local:AccountLinks",
      ]),
    );
    for (const { type, code } of providers) {
      // The model and the platform code stay in the package; only the provider's own methods travel.
      expect({ type, size: code.length }).toEqual({
        type,
        size: code.length < 12_000 ? code.length : "under 12000",
      });
      expect({ type, copiesModel: /function __problemList\b/.test(code) }).toEqual({
        type,
        copiesModel: false,
      });
    }
    const stream = providers.find((p) => p.type === "pulumi-nodejs:dynamic/jetstream:Stream") as {
      code: string;
    };
    expect(stream.code).toMatch(/require\("pulumi-nats-global\/dist\/components\/model\/streamConfig\.js"\)/);
  });

  it("previews no change after up", async () => {
    const preview = await runProgram("preview");
    expect(preview.code).toBe(0);
    expect(Object.keys(preview.changes ?? {})).toEqual(["same"]);
  });

  it("destroys every server it started", async () => {
    const destroy = await runProgram("destroy");
    expect({ code: destroy.code, output: destroy.code === 0 ? "" : destroy.output }).toEqual({
      code: 0,
      output: "",
    });
    expect(natsServerPids(path.join(PROJECT, ".data"))).toEqual([]);
  });
});
