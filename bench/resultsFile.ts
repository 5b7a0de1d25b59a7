import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../test/support/tools";

const READING_START = "<!-- reading: kept across runs, edit by hand -->";
const READING_END = "<!-- /reading -->";

/**
 * The hand-written "Reading" of a results file, between its markers, so that a benchmark can
 * regenerate its numbers without losing what a person wrote about them.
 */
export function readingSection(resultsFile: string): string {
  const text = fs.existsSync(resultsFile) ? fs.readFileSync(resultsFile, "utf8") : "";
  const start = text.indexOf(READING_START);
  const end = text.indexOf(READING_END);
  const reading =
    start < 0 || end < start
      ? "_Not written yet: read the numbers above and write it here._"
      : text.slice(start + READING_START.length, end).trim();
  return `${READING_START}\n\n${reading}\n\n${READING_END}`;
}

/** Writes a results file with its tables aligned, as `npm run lint` (prettier --check) wants them. */
export function writeResults(resultsFile: string, markdown: string): void {
  fs.writeFileSync(resultsFile, markdown);
  execFileSync(path.join(PROJECT_DIR, "node_modules", ".bin", "prettier"), ["--write", resultsFile], {
    stdio: "ignore",
  });
}
