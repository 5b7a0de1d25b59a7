/*
 * A local server's configuration on disk: the base config rendered by the model, one links file
 * per virtual stream, and the final config the server runs (base + all links). Serialized into
 * dynamic providers: Node built-ins and pure model code only.
 */
import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import { mergeAccountLinks, withAccountLinks } from "../../model/linksConfig";
import { AccountLinks } from "../../model/regionAccounts";
import { NatsServerConfig } from "../../model/serverConfig";

export interface ConfigFiles {
  base: string;
  final: string;
  linksDir: string;
  pid: string;
}

export function configFiles(dir: string): ConfigFiles {
  return {
    base: path.join(dir, "nats-server.base.json"),
    final: path.join(dir, "nats-server.json"),
    linksDir: path.join(dir, "links"),
    pid: path.join(dir, "nats-server.pid"),
  };
}

export function readLinksFile(dir: string, owner: string): AccountLinks | undefined {
  const file = path.join(configFiles(dir).linksDir, `${owner}.json`);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as AccountLinks) : undefined;
}

function readAllLinks(dir: string): Record<string, AccountLinks> {
  const { linksDir } = configFiles(dir);
  if (!fs.existsSync(linksDir)) return {};
  const owners = fs.readdirSync(linksDir).filter((f) => f.endsWith(".json"));
  return Object.fromEntries(
    owners.map((f) => [f.slice(0, -5), readLinksFile(dir, f.slice(0, -5)) as AccountLinks]),
  );
}

/**
 * Writes the final config from the base and every links file, after `nats-server -t` accepts it;
 * when it refuses, the final config on disk stays as it was and the error carries its words.
 */
export function writeFinalConfig(binary: string, dir: string, base?: NatsServerConfig): void {
  const files = configFiles(dir);
  if (base !== undefined) fs.writeFileSync(files.base, JSON.stringify(base, null, 2), { mode: 0o600 });
  const baseConfig = JSON.parse(fs.readFileSync(files.base, "utf8")) as NatsServerConfig;
  const final = withAccountLinks(
    { ...baseConfig, pid_file: files.pid },
    mergeAccountLinks(readAllLinks(dir)),
  );
  const candidate = `${files.final}.next`;
  fs.writeFileSync(candidate, JSON.stringify(final, null, 2), { mode: 0o600 });
  const check = childProcess.spawnSync(binary, ["-t", "-c", candidate], { encoding: "utf8" });
  if (check.status !== 0) {
    fs.rmSync(candidate, { force: true });
    throw new Error(`nats-server rejected the config of ${dir}:\n${(check.stderr || check.stdout).trim()}`);
  }
  fs.renameSync(candidate, files.final);
}

/** Sets (or with undefined, removes) one owner's links file. */
export function setLinksFile(dir: string, owner: string, table: AccountLinks | undefined): void {
  const file = path.join(configFiles(dir).linksDir, `${owner}.json`);
  if (table === undefined) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(table, null, 2));
}
