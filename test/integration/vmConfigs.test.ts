import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NatsServerConfig } from "../../components/model/serverConfig";
import { filesOfBootScript, scriptOfUserData } from "../support/bootScripts";
import { expectAcceptedByNatsServer } from "../support/configCheck";
import { ofKind, revealed } from "../support/kubernetesTopology";
import { PREVIEW_TIMEOUT_MS, previewStack } from "../support/stackPreview";

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-vmconf-"))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("the configs the aws platform puts in its boot scripts", () => {
  it(
    "pass nats-server -t, with real operator JWTs and certificates for the names each server advertises",
    async () => {
      const preview = previewStack("aws");
      const configs = new Map<string, NatsServerConfig>();
      for (const instance of ofKind(preview.resources, "aws:ec2/instance:Instance")) {
        const script = scriptOfUserData(revealed(instance.inputs.userDataBase64) as string);
        const config = JSON.parse(
          filesOfBootScript(script).get("/etc/nats/nats.conf") as string,
        ) as NatsServerConfig;
        configs.set(config.server_name, config);
      }
      expect(configs.size).toBe(12);
      await expectAcceptedByNatsServer(configs, dir, {
        "/etc/nats": "etc",
        "/var/lib/nats": "data",
      });
    },
    PREVIEW_TIMEOUT_MS,
  );
});
