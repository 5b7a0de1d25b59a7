import { gunzipSync } from "zlib";
import { NatsServerConfig } from "../../components/model/serverConfig";
import { FilesAgentSettings } from "../../components/platforms/vm/filesAgent";
import { vmLayout } from "../../components/platforms/vm/layout";
import { ServerFileBundle } from "../../components/platforms/vm/serverFiles";
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

/** What a boot script tells the files agent: where the server's secret is. */
export const agentSettingsOf = (script: string): FilesAgentSettings =>
  JSON.parse(filesOfBootScript(script).get(vmLayout().filesSettings) as string) as FilesAgentSettings;

/** EC2 user data as the platform sends it (gzip, base64) back to the script. */
export const scriptOfUserData = (userData: string): string =>
  gunzipSync(Buffer.from(userData, "base64")).toString("utf8");

interface Mocked {
  type: string;
  inputs: Record<string, unknown>;
}

const SECRET_VALUES: Record<string, string> = {
  "aws:secretsmanager/secretVersion:SecretVersion": "secretString",
  "gcp:secretmanager/secretVersion:SecretVersion": "secretData",
};

/** The files bundle each VM server's secret holds, on AWS and GCP, by server name. */
export function vmServerFilesOf(resources: Mocked[]): Map<string, ServerFileBundle> {
  const bundles = resources
    .filter((r) => SECRET_VALUES[r.type] !== undefined)
    .map((r) => JSON.parse(revealed(r.inputs[SECRET_VALUES[r.type]]) as string) as ServerFileBundle);
  return new Map(bundles.map((b) => [configOfBundle(b).server_name, b]));
}

/** The config a bundle holds. */
export const configOfBundle = (bundle: ServerFileBundle): NatsServerConfig =>
  JSON.parse(bundle.files[VM_CONFIG_FILE].content) as NatsServerConfig;

/** The config of every VM server of a previewed stack, by server name. */
export function vmConfigsOf(resources: Mocked[]): Map<string, NatsServerConfig> {
  return new Map([...vmServerFilesOf(resources)].map(([server, bundle]) => [server, configOfBundle(bundle)]));
}
