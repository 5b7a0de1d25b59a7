import * as fs from "fs";
import * as path from "path";
import { runInProject, RunResult } from "./stackRunner";
import { PROJECT_DIR } from "./tools";

export interface ProgramRun extends RunResult {
  /** Resources by what happened to them: create, update, replace, delete, same. */
  changes?: Record<string, number>;
  outputs?: Record<string, unknown>;
}

/**
 * A stack of a test program, driven through the real CLI by runProgram.ts: a file of test/programs,
 * or an absolute path with the project directory the program runs in.
 */
export class ProgramStack {
  private readonly inputFile: string;

  constructor(
    readonly name: string,
    private readonly program: string,
    private readonly workDir?: string,
  ) {
    // One file per stack in the checkout's gitignored state folder: nothing piles up in /tmp.
    const inputs = path.join(PROJECT_DIR, ".pulumi-state", "inputs");
    fs.mkdirSync(inputs, { recursive: true });
    this.inputFile = path.join(inputs, `${name}.json`);
  }

  async run(command: "up" | "preview" | "refresh" | "destroy" | "rm", input: unknown, timeoutMs = 300_000) {
    fs.writeFileSync(this.inputFile, JSON.stringify(input));
    const programPath = path.resolve(PROJECT_DIR, "test", "programs", this.program);
    const args = ["ts-node", "test/support/runProgram.ts", command, this.name, programPath, this.inputFile];
    const result: ProgramRun = await runInProject(this.workDir ? [...args, this.workDir] : args, timeoutMs);
    const marker = result.output.lastIndexOf("@@RESULT ");
    if (marker >= 0) Object.assign(result, JSON.parse(result.output.slice(marker + 9).split("\n")[0]));
    return result;
  }
}
