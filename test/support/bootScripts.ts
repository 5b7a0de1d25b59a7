import { gunzipSync } from "zlib";
import { NatsServerConfig } from "../../components/model/serverConfig";
import { vmLayout } from "../../components/platforms/vm/layout";
import { revealed } from "./stackPreview";

const VM_CONFIG_FILE = vmLayout().configFile;

/** The files a boot script writes (path → content), read back from its base64 heredocs. */
export function filesOfBootScript(script: string): Map<string, string> {
  const files = new Map<string, string>();
  const heredoc = /base64 -d >"([^"]+)\.new" <<'NATS_GLOBAL_EOF'\n([\s\S]*?)\nNATS_GLOBAL_EOF/g;
  for (const [, file, body] of script.matchAll(heredoc)) {
    files.set(file, Buffer.from(body.replace(/\n/g, ""), "base64").toString("utf8"));
  }
  return files;
}

/** EC2 user data as the platform sends it (gzip, base64) back to the script. */
export const scriptOfUserData = (userData: string): string =>
  gunzipSync(Buffer.from(userData, "base64")).toString("utf8");

interface Mocked {
  type: string;
  inputs: Record<string, unknown>;
}

/** The boot script of every VM of a previewed stack, on AWS (user data) and GCP (startup script). */
export function bootScriptsOf(resources: Mocked[]): string[] {
  return [
    ...resources
      .filter((r) => r.type === "aws:ec2/instance:Instance")
      .map((i) => scriptOfUserData(revealed(i.inputs.userDataBase64) as string)),
    ...resources
      .filter((r) => r.type === "gcp:compute/instance:Instance")
      .map((i) => revealed(i.inputs.metadataStartupScript) as string),
  ];
}

/** The config each boot script writes, by server name. */
export function configsOfBootScripts(scripts: string[]): Map<string, NatsServerConfig> {
  const configs = scripts.map(
    (script) => JSON.parse(filesOfBootScript(script).get(VM_CONFIG_FILE) as string) as NatsServerConfig,
  );
  return new Map(configs.map((c) => [c.server_name, c]));
}
