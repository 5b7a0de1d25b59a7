import * as fs from "fs";
import * as path from "path";
import { NATS_SERVER_VERSION } from "../../components/platforms/natsRelease";
import { RELOADER_IMAGE } from "../../components/platforms/kubernetes/manifests";

const scripts = path.join(__dirname, "..", "..", "scripts");
const versions = fs.readFileSync(path.join(scripts, "versions.env"), "utf8");

describe("the releases the platforms run", () => {
  it("nats-server is the one the tests run: scripts/versions.env pins it for setup", () => {
    expect(versions).toMatch(
      new RegExp(`^NATS_SERVER_VERSION=v${NATS_SERVER_VERSION.replace(/\./g, "\\.")}$`, "m"),
    );
  });

  it("the config reloader of the k8s platform is the one the platform tests' kubelet runs", () => {
    const wrapper = fs.readFileSync(path.join(scripts, "platforms", "config-reloader", "go.mod"), "utf8");
    expect(wrapper).toMatch(
      new RegExp(`^require github\\.com/nats-io/nack v${RELOADER_IMAGE.split(":")[1]}$`, "m"),
    );
  });
});
