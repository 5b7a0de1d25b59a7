import { randomBytes } from "crypto";
import { gunzipSync } from "zlib";
import { AWS_USER_DATA_LIMIT, compressedUserData } from "../../components/platforms/vm/userData";

describe("EC2 user data", () => {
  it("is the boot script gzipped, in base64, as cloud-init reads it", () => {
    const script = "#!/bin/bash\necho nats\n".repeat(500);
    const userData = compressedUserData(script, "west-1");
    expect(userData.length).toBeLessThan(AWS_USER_DATA_LIMIT);
    expect(gunzipSync(Buffer.from(userData, "base64")).toString("utf8")).toBe(script);
  });

  it("refuses a script over EC2's 16 KiB once compressed, naming the server, before any instance is made", () => {
    // Random bytes do not compress: 13 KiB of them are over 16 KiB in base64.
    const script = `#!/bin/bash\n# ${randomBytes(13 * 1024).toString("hex")}\n`;
    expect(() => compressedUserData(script, "west-1")).toThrow(
      /server west-1: its boot script is \d+ bytes as EC2 user data \(gzipped, base64\), over EC2's limit of 16384/,
    );
  });
});
