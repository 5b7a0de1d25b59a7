import type { OutputMap } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { contextDir, removeContexts, writeContexts } from "../../scripts/natsContexts";

const outputs = (extra: Record<string, unknown> = {}): OutputMap => {
  const values: Record<string, unknown> = {
    clusters: {
      west: { clientUrls: ["nats://w:4222"], stretch: false },
      east: { clientUrls: ["nats://e:4222"], stretch: false },
      stretch: { clientUrls: ["nats://s:4222"], stretch: true },
    },
    credentials: { creds: "ADMIN CREDS", ca: "CA PEM" },
    regionCredentials: {
      west: { creds: "WEST ADMIN CREDS", ca: "CA PEM" },
      east: { creds: "EAST ADMIN CREDS", ca: "CA PEM" },
    },
    systemCredentials: { creds: "SYSTEM CREDS", ca: "CA PEM" },
    users: { app: { west: { creds: "APP WEST CREDS", ca: "CA PEM" } } },
    ...extra,
  };
  return Object.fromEntries(
    Object.entries(values).map(([k, value]) => [k, { value, secret: k !== "clusters" }]),
  );
};

describe("the nats contexts of a stack", () => {
  let home: string;
  const previous = process.env.XDG_CONFIG_HOME;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-contexts-"));
    process.env.XDG_CONFIG_HOME = home;
  });
  afterEach(() => {
    process.env.XDG_CONFIG_HOME = previous;
    fs.rmSync(home, { recursive: true, force: true });
  });
  const read = (name: string) => JSON.parse(fs.readFileSync(path.join(contextDir(), `${name}.json`), "utf8"));

  it("writes one per cluster, the write side's and the system account's over the regional servers, and one per application and region", () => {
    expect(writeContexts("prod", outputs()).sort()).toEqual(
      ["prod-east", "prod-stretch", "prod-sys", "prod-west", "prod-write", "prod-app-west"].sort(),
    );
    // A region's context is its account's, where the streams of the virtual names are.
    expect(fs.readFileSync(read("prod-west").creds, "utf8")).toBe("WEST ADMIN CREDS");
    expect(fs.readFileSync(read("prod-stretch").creds, "utf8")).toBe("ADMIN CREDS");
    expect(read("prod-write")).toMatchObject({ url: "nats://w:4222,nats://e:4222" });
    expect(fs.readFileSync(read("prod-write").creds, "utf8")).toBe("ADMIN CREDS");
    expect(read("prod-sys")).toEqual({
      description: "nats-global stack prod, system account",
      url: "nats://w:4222,nats://e:4222",
      creds: path.join(contextDir(), "prod-sys.creds"),
      ca: path.join(contextDir(), "prod-ca.pem"),
    });
    expect(fs.readFileSync(read("prod-app-west").creds, "utf8")).toBe("APP WEST CREDS");
    for (const file of fs.readdirSync(contextDir())) {
      expect({ file, mode: fs.statSync(path.join(contextDir(), file)).mode & 0o777 }).toEqual({
        file,
        mode: 0o600,
      });
    }
  });

  it("replaces what an earlier update wrote, making files private again, and leaves other stacks' alone", () => {
    writeContexts("prod", outputs());
    writeContexts("prod-eu", outputs());
    fs.chmodSync(path.join(contextDir(), "prod-west.creds"), 0o644);
    writeContexts("prod", outputs({ users: {} }));
    expect(fs.existsSync(path.join(contextDir(), "prod-app-west.json"))).toBe(false);
    expect(fs.existsSync(path.join(contextDir(), "prod-app-west.creds"))).toBe(false);
    expect(fs.statSync(path.join(contextDir(), "prod-west.creds")).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(contextDir(), "prod-eu-app-west.json"))).toBe(true);
  });

  it("removes only the files it wrote: a copied context's own CA file stays", () => {
    writeContexts("prod", outputs());
    const mine = path.join(home, "my-ca.pem");
    fs.writeFileSync(mine, "MY CA");
    const copy = { ...read("prod-west"), ca: mine };
    fs.writeFileSync(path.join(contextDir(), "prod-west-copy.json"), JSON.stringify(copy));
    expect(removeContexts("prod").sort()).toEqual(
      [
        "prod-east",
        "prod-stretch",
        "prod-sys",
        "prod-west",
        "prod-write",
        "prod-west-copy",
        "prod-app-west",
      ].sort(),
    );
    expect(fs.readFileSync(mine, "utf8")).toBe("MY CA");
    expect(fs.readdirSync(contextDir())).toEqual([]);
  });

  it("refuses two contexts of one name, naming both", () => {
    const clusters = { sys: { clientUrls: ["nats://x:4222"], stretch: false } };
    expect(() => writeContexts("prod", outputs({ clusters }))).toThrow(
      "the contexts of cluster sys and of system account would both be prod-sys: rename one of them",
    );
  });
});
