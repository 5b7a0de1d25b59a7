import * as fs from "fs";
import * as path from "path";
import { NATS_SERVER_VERSION } from "../../components/platforms/natsRelease";

describe("the nats-server release the platforms run", () => {
  it("is the one the tests run: scripts/versions.env pins it for setup", () => {
    const versions = fs.readFileSync(path.join(__dirname, "..", "..", "scripts", "versions.env"), "utf8");
    expect(versions).toMatch(
      new RegExp(`^NATS_SERVER_VERSION=v${NATS_SERVER_VERSION.replace(/\./g, "\\.")}$`, "m"),
    );
  });
});
