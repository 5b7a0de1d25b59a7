import { gzipSync } from "zlib";

/** EC2's limit on user data, counted after base64. */
export const AWS_USER_DATA_LIMIT = 16 * 1024;

/** A boot script as EC2 user data: gzipped (cloud-init unpacks it), then base64, to fit the limit. */
export function compressedUserData(script: string): string {
  return gzipSync(Buffer.from(script, "utf8"), { level: 9 }).toString("base64");
}
