import { gzipSync } from "zlib";

/** EC2's limit on user data, counted after base64. */
export const AWS_USER_DATA_LIMIT = 16 * 1024;

/**
 * A boot script as EC2 user data: gzipped (cloud-init unpacks it), then base64, to fit the limit.
 * Over it, `server`'s instance would be refused by EC2 after the rest of the stack was made: this
 * refuses it first, at preview once the script's values are known.
 */
export function compressedUserData(script: string, server: string): string {
  const userData = gzipSync(Buffer.from(script, "utf8"), { level: 9 }).toString("base64");
  if (userData.length > AWS_USER_DATA_LIMIT) {
    throw new Error(
      `server ${server}: its boot script is ${userData.length} bytes as EC2 user data (gzipped, base64), ` +
        `over EC2's limit of ${AWS_USER_DATA_LIMIT}: its config grows with the servers it routes to ` +
        "and the gateways it knows; run fewer servers in its cluster or fewer regions",
    );
  }
  return userData;
}
