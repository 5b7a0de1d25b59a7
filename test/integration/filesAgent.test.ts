/*
 * The files agent of the VM platforms (components/platforms/vm/filesAgent.ts) fetching a server's
 * files, run as the machine runs it (python3), against stand-ins of each cloud's endpoints: on AWS
 * the metadata service and Secrets Manager (signatures checked as AWS does), on GCP the metadata
 * server's token and Secret Manager's access call, as their APIs are documented. The boot script
 * test runs the AWS half on 12 machines, the platform tier against moto; the GCP half is only
 * here, since nothing of GCP runs on this machine.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { FILES_AGENT, FilesAgentSettings } from "../../components/platforms/vm/filesAgent";
import { ServerFileBundle } from "../../components/platforms/vm/serverFiles";
import { SecretsStandIn } from "../support/secretsStandIn";

const PORTS = { aws: 13291, gcp: 13292 };
let dir: string;
let agent: string;

const bundle = (): ServerFileBundle => ({
  digest: "0123456789abcdef0123456789abcdef",
  files: {
    [path.join(dir, "etc", "nats.conf")]: { content: '{"server_name": "west-1"}', mode: "0640" },
    [path.join(dir, "etc", "server-key.pem")]: { content: "KEY", mode: "0600" },
  },
});

/**
 * Runs the agent once, only fetching and writing; its exit code and output. Not synchronously: the
 * stand-ins answer from this process.
 */
function fetchOnce(
  source: FilesAgentSettings["source"],
  environment: Record<string, string>,
): Promise<{ code: number; output: string }> {
  const settings: FilesAgentSettings = {
    source,
    user: os.userInfo().username,
    control: "/bin/false",
    monitor: "http://127.0.0.1:1",
    reloadTimeoutS: 1,
    restartTimeoutS: 1,
  };
  const file = path.join(dir, "settings.json");
  fs.writeFileSync(file, JSON.stringify(settings));
  return new Promise((resolve) => {
    execFile(
      "python3",
      [agent, file, "--fetch-only", "--wait", "3"],
      { encoding: "utf8", env: { ...process.env, ...environment }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : (error.code as number), output: `${stdout}${stderr}` }),
    );
  });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-agent-"));
  fs.mkdirSync(path.join(dir, "etc"));
  agent = path.join(dir, "nats-server-files");
  fs.writeFileSync(agent, FILES_AGENT, { mode: 0o755 });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("the files agent fetching a server's files", () => {
  describe("on AWS, with the instance role's credentials", () => {
    const secret = "arn:aws:secretsmanager:us-west-2:123456789012:secret:west-1-files";
    const aws = new SecretsStandIn("127.0.0.1", PORTS.aws, () => "role-west-1");
    beforeAll(() => aws.start());
    afterAll(() => aws.stop());

    it("writes each file with its mode, in a request signed as AWS checks", async () => {
      aws.secrets.set(secret, JSON.stringify(bundle()));
      aws.readers.set(secret, "role-west-1");
      const result = await fetchOnce({ cloud: "aws", secret, region: "us-west-2" }, aws.environment);
      expect(result).toEqual({ code: 0, output: expect.stringContaining("wrote") });
      expect(aws.refusals).toEqual([]);
      for (const [file, { content, mode }] of Object.entries(bundle().files)) {
        expect(fs.readFileSync(file, "utf8")).toBe(content);
        expect((fs.statSync(file).mode & 0o777).toString(8)).toBe(mode.slice(1));
      }
      // Again: nothing changed, nothing written.
      expect(await fetchOnce({ cloud: "aws", secret, region: "us-west-2" }, aws.environment)).toEqual({
        code: 0,
        output: "",
      });
    });

    it("replaces a link left where a file goes, never writing through it", async () => {
      aws.secrets.set(secret, JSON.stringify(bundle()));
      aws.readers.set(secret, "role-west-1");
      const elsewhere = path.join(dir, "elsewhere");
      fs.writeFileSync(elsewhere, "untouched");
      const key = path.join(dir, "etc", "server-key.pem");
      fs.symlinkSync(elsewhere, key);
      const result = await fetchOnce({ cloud: "aws", secret, region: "us-west-2" }, aws.environment);
      expect(result.code).toBe(0);
      expect(fs.readFileSync(elsewhere, "utf8")).toBe("untouched");
      expect(fs.lstatSync(key).isSymbolicLink()).toBe(false);
      expect(fs.readFileSync(key, "utf8")).toBe("KEY");
      expect(fs.readdirSync(path.join(dir, "etc")).sort()).toEqual(["nats.conf", "server-key.pem"]);
    });

    it("fails after its retries, naming the secret and the refusal, and writes nothing", async () => {
      aws.readers.set(secret, "role-west-2");
      const result = await fetchOnce({ cloud: "aws", secret, region: "us-west-2" }, aws.environment);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain(`cannot fetch ${secret}`);
      expect(result.output).toContain("AccessDenied");
      expect(aws.refusals.at(-1)).toMatch(
        /AccessDeniedException: role-west-1 may not secretsmanager:GetSecretValue/,
      );
      expect(fs.readdirSync(path.join(dir, "etc"))).toEqual([]);
    });
  });

  describe("on GCP, with the service account's token", () => {
    const secret = "projects/p/secrets/ngabc123-west-1-files";
    const asked: string[] = [];
    let server: http.Server;
    beforeAll(async () => {
      server = http.createServer((req, res) => {
        asked.push(`${req.method} ${req.url}`);
        const json = (status: number, body: unknown) =>
          res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
        if (req.url === "/computeMetadata/v1/instance/service-accounts/default/token") {
          if (req.headers["metadata-flavor"] !== "Google") return json(403, { error: "Metadata-Flavor" });
          return json(200, { access_token: "token-west-1", expires_in: 3599, token_type: "Bearer" });
        }
        if (req.url === `/v1/${secret}/versions/latest:access`) {
          if (req.headers.authorization !== "Bearer token-west-1")
            return json(403, { error: "PERMISSION_DENIED" });
          const data = Buffer.from(JSON.stringify(bundle())).toString("base64");
          return json(200, { name: `${secret}/versions/1`, payload: { data } });
        }
        json(404, { error: `not found: ${req.url}` });
      });
      await new Promise<void>((resolve) => server.listen(PORTS.gcp, "127.0.0.1", resolve));
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it("writes each file with its mode, from the latest version of the secret", async () => {
      const result = await fetchOnce(
        { cloud: "gcp", secret },
        {
          GCE_METADATA_HOST: `127.0.0.1:${PORTS.gcp}`,
          CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER: `http://127.0.0.1:${PORTS.gcp}/`,
        },
      );
      expect(result).toEqual({ code: 0, output: expect.stringContaining("wrote") });
      expect(asked).toEqual([
        "GET /computeMetadata/v1/instance/service-accounts/default/token",
        `GET /v1/${secret}/versions/latest:access`,
      ]);
      for (const [file, { content }] of Object.entries(bundle().files)) {
        expect(fs.readFileSync(file, "utf8")).toBe(content);
      }
    });
  });
});
