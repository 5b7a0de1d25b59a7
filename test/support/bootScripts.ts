import { gunzipSync } from "zlib";

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
