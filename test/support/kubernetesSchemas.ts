import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** The Kubernetes release whose OpenAPI schemas manifests are checked against (scripts/versions.env). */
function pinnedVersion(): string {
  const versions = fs.readFileSync(path.join(__dirname, "..", "..", "scripts", "versions.env"), "utf8");
  const match = /^KUBERNETES_SCHEMA_VERSION=(\S+)$/m.exec(versions);
  if (match === null) throw new Error("scripts/versions.env has no KUBERNETES_SCHEMA_VERSION");
  return match[1];
}

/** `api/openapi-spec/v3` of the k8s.io/kubernetes module that `npm run setup` downloads. */
export function kubernetesSchemaDir(): string {
  const cache = execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8" }).trim();
  const dir = path.join(cache, `k8s.io/kubernetes@${pinnedVersion()}`, "api", "openapi-spec", "v3");
  if (!fs.existsSync(dir)) throw new Error(`${dir} is missing: run \`npm run setup\``);
  return dir;
}
