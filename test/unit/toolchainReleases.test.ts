import * as fs from "fs";
import * as path from "path";

const root = path.join(__dirname, "..", "..");
const versions = fs.readFileSync(path.join(root, "scripts", "versions.env"), "utf8");
const pinned = (name: string) => versions.match(new RegExp(`^${name}=v?(\\S+)$`, "m"))?.[1];
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));

describe("the toolchain scripts/setup.sh installs", () => {
  it("builds the Pulumi CLI at the release of the @pulumi/pulumi package the program runs", () => {
    expect(pinned("PULUMI_VERSION")).toBe(manifest.dependencies["@pulumi/pulumi"]);
  });

  it("runs every command on a Node.js that @pulumi/pulumi and the package's engines accept", () => {
    const sdkEngines = JSON.parse(
      fs.readFileSync(path.join(root, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8"),
    ).engines.node;
    const major = Number(pinned("NODE_VERSION")?.split(".")[0]);
    for (const range of [sdkEngines, manifest.engines.node]) {
      expect(range).toMatch(/^>=\d+$/);
      expect(major).toBeGreaterThanOrEqual(Number(range.slice(2)));
    }
    expect(process.versions.node).toBe(pinned("NODE_VERSION"));
  });
});
