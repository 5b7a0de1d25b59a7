import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "./tools";

const FIXTURES = path.join(PROJECT_DIR, "test", "fixtures", "installed-package");

/**
 * Makes `projectDir` a fresh project that has this package as npm installs it: `npm pack` (which
 * builds), the tarball unpacked into node_modules, the package's dependencies (and Node's types)
 * linked beside it, and
 * the programs of test/fixtures/installed-package, which know the package only by its name.
 */
export function installPackedPackage(projectDir: string): void {
  const packageDir = path.join(projectDir, "node_modules", "pulumi-nats-global");
  fs.rmSync(projectDir, { recursive: true, force: true });
  fs.mkdirSync(packageDir, { recursive: true });
  const pack = spawnSync("npm", ["pack", "--silent", "--pack-destination", projectDir], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
  });
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stdout}${pack.stderr}`);
  const tarball = path.join(projectDir, pack.stdout.trim().split("\n").pop() as string);
  const untar = spawnSync("tar", ["xzf", tarball, "-C", packageDir, "--strip-components=1"]);
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  for (const scope of ["@pulumi", "@nats-io", "@types"]) {
    fs.symlinkSync(
      path.join(PROJECT_DIR, "node_modules", scope),
      path.join(projectDir, "node_modules", scope),
    );
  }
  // A project of its own: inside this checkout, Node would otherwise resolve the package name to
  // the checkout itself (package self-reference).
  const manifest = { name: "installed-package", private: true, dependencies: { "pulumi-nats-global": "*" } };
  fs.writeFileSync(path.join(projectDir, "package.json"), JSON.stringify(manifest, null, 2));
  for (const file of fs.readdirSync(FIXTURES)) {
    fs.copyFileSync(path.join(FIXTURES, file), path.join(projectDir, file));
  }
}
