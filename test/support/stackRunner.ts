import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { PROJECT_DIR } from "./tools";

export interface RunResult {
  code: number | null;
  output: string;
}

export interface RunOptions {
  /**
   * Polled while the command runs: once it returns true, the command and every process of its group
   * (the Pulumi CLI, its providers) are killed with SIGKILL, as by an out-of-memory killer.
   */
  killWhen?: () => boolean;
  /** Added to this process's environment (a kubeconfig, an emulator's endpoint). */
  env?: NodeJS.ProcessEnv;
  /** An argv prefix the command runs under (a mount namespace with the tests' DNS, say). */
  launcher?: string[];
}

/** Runs a command of the project's own environment (scripts/with-env.sh), collecting its output. */
export function runInProject(
  args: string[],
  timeoutMs: number,
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const [command, ...prefix] = [...(options.launcher ?? []), "bash"];
    const child = spawn(command, [...prefix, path.join(PROJECT_DIR, "scripts", "with-env.sh"), ...args], {
      cwd: PROJECT_DIR,
      env: { ...process.env, ...options.env, FORCE_COLOR: "0" },
      // Its own process group, so that a kill reaches the CLI and providers it started.
      detached: options.killWhen !== undefined,
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const killGroup = () => {
      try {
        process.kill(options.killWhen ? -(child.pid as number) : (child.pid as number), "SIGKILL");
      } catch {
        // Ended already.
      }
    };
    const timer = setTimeout(killGroup, timeoutMs);
    const poll =
      options.killWhen &&
      setInterval(() => {
        if (options.killWhen?.()) killGroup();
      }, 100);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({ code, output });
    });
  });
}

/** The resource changes that scripts/stack.ts reported last: kind (same, create, update, ...) → count. */
export function reportedChanges(output: string): Record<string, number> {
  const lines = output.match(/^\w+ of stack \S+ finished in [\d.]+ s: .*$/gm);
  if (lines === null) throw new Error(`no change summary in:\n${output.slice(-2000)}`);
  const summary = lines[lines.length - 1].split(": ").slice(1).join(": ");
  return Object.fromEntries(
    summary
      .split(", ")
      .filter((part) => part !== "")
      .map((part) => {
        const [count, kind] = part.split(" ");
        return [kind, Number(count)];
      }),
  );
}

/**
 * What a preview changed besides what stayed the same, with the preview's diff when it changed
 * anything: `{ changes: {}, diff: "" }` when nothing changes.
 */
export function changesBesidesSame(output: string): { changes: Record<string, number>; diff: string } {
  const changes = Object.fromEntries(
    Object.entries(reportedChanges(output)).filter(([kind]) => kind !== "same"),
  );
  return { changes, diff: Object.keys(changes).length === 0 ? "" : output.slice(-8000) };
}

/**
 * A stack of this project for a test: its config file in stacks/, driven through the same
 * scripts/stack.ts as `npm run up`, removed with its state and files by `remove()`.
 */
export class TestStack {
  readonly configFile: string;
  readonly dataDir: string;
  /**
   * `XDG_CONFIG_HOME` of its runs: where `up` writes the stack's nats contexts, rather than the
   * user's own. The nats CLI finds them with `contextEnv`.
   */
  readonly configHome: string;

  constructor(
    readonly name: string,
    config: Record<string, unknown>,
  ) {
    this.configFile = path.join(PROJECT_DIR, "stacks", `Pulumi.${name}.yaml`);
    this.dataDir = path.join(PROJECT_DIR, ".data", name);
    this.configHome = path.join(PROJECT_DIR, ".data", `${name}-config`);
    const lines = Object.entries(config).map(
      ([key, value]) => `  nats-global:${key}: ${JSON.stringify(value)}`,
    );
    fs.writeFileSync(this.configFile, `config:\n${lines.join("\n")}\n`);
  }

  /** `nats-global:<key>` as the stack file has it now. */
  getConfig(key: string): unknown {
    const file = yaml.load(fs.readFileSync(this.configFile, "utf8")) as { config: Record<string, unknown> };
    return file.config[`nats-global:${key}`];
  }

  /** Sets `nats-global:<key>` in the stack file, which Pulumi itself also writes (its encryption salt). */
  setConfig(key: string, value: unknown): void {
    const file = yaml.load(fs.readFileSync(this.configFile, "utf8")) as { config: Record<string, unknown> };
    file.config[`nats-global:${key}`] = value;
    fs.writeFileSync(this.configFile, yaml.dump(file));
  }

  run(
    command: "up" | "down" | "preview" | "refresh",
    timeoutMs = 180_000,
    options: RunOptions = {},
  ): Promise<RunResult> {
    return runInProject(["ts-node", "scripts/stack.ts", command, this.name], timeoutMs, {
      ...options,
      env: { ...options.env, ...this.contextEnv() },
    });
  }

  /** The environment in which the nats CLI finds the contexts that `up` wrote. */
  contextEnv(): NodeJS.ProcessEnv {
    return { XDG_CONFIG_HOME: this.configHome };
  }

  pulumi(args: string[]): RunResult {
    const result = spawnSync("bash", [path.join(PROJECT_DIR, "scripts", "with-env.sh"), "pulumi", ...args], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
      // A stack export runs past the 1 MiB default, which would cut it short without a word.
      maxBuffer: 256 * 1024 * 1024,
    });
    return { code: result.status, output: `${result.stdout}${result.stderr}` };
  }

  outputs(showSecrets = false): Record<string, unknown> {
    const args = ["stack", "output", "--json", "-s", this.name, ...(showSecrets ? ["--show-secrets"] : [])];
    const result = this.pulumi(args);
    if (result.code !== 0) throw new Error(`pulumi stack output failed:\n${result.output}`);
    return JSON.parse(result.output);
  }

  /**
   * Forgets a run killed halfway: its lock holds the stack, and its state names resources of a
   * world (an emulator, API servers) that is gone.
   */
  discardEarlierRun(): void {
    this.pulumi(["cancel", "--yes", "-s", this.name]);
    this.pulumi(["stack", "rm", "--yes", "--force", "--preserve-config", "-s", this.name]);
  }

  async remove(): Promise<void> {
    await this.run("down");
    this.pulumi(["stack", "rm", "--yes", "--force", "-s", this.name]);
    fs.rmSync(this.configFile, { force: true });
    fs.rmSync(this.configHome, { recursive: true, force: true });
  }
}
