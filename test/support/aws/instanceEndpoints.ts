/*
 * What an EC2 instance reaches besides the API the provider uses, as its files agent calls them:
 * the instance metadata service (IMDSv2: a session token, then temporary credentials of the role
 * in its instance profile) and Secrets Manager. Every Secrets Manager request must carry a valid
 * Signature Version 4 with credentials handed out here and their session token, and the caller's
 * role must be allowed the action on the secret; then a subclass answers it. Who is calling is
 * told by the source address, as EC2 knows its instances.
 */
import { randomBytes } from "crypto";
import * as http from "http";
import { verifiedSigner } from "./sigv4";

export interface Caller {
  instance: string;
  region: string;
}

export interface Answer {
  status: number;
  type: string;
  body: string;
}

const JSON_1_1 = "application/x-amz-json-1.1";
const CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/";

export abstract class InstanceEndpoints {
  /** Why requests were refused, for the tests to show. */
  readonly refusals: string[] = [];
  private readonly issued = new Map<string, { secret: string; role: string; caller: Caller }>();
  private server: http.Server | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  /** The SDKs' standard overrides that send a machine's calls here instead of AWS's endpoints. */
  get environment(): Record<string, string> {
    const url = `http://${this.host}:${this.port}`;
    return { AWS_EC2_METADATA_SERVICE_ENDPOINT: url, AWS_ENDPOINT_URL_SECRETS_MANAGER: url };
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        this.answer(req, Buffer.concat(chunks))
          .catch((e: Error) => ({ status: 500, type: "text/plain", body: e.message }))
          .then((answer) => res.writeHead(answer.status, { "content-type": answer.type }).end(answer.body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, this.host, resolve));
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** The instance whose machine sends from `address`. */
  protected abstract callerAt(address: string): Caller | undefined;
  /** The role of the instance's profile, if it has one. */
  protected abstract roleOf(caller: Caller): Promise<string | undefined>;
  /** Whether `role` may do `action` on the secret. */
  protected abstract allowed(role: string, action: string, secretId: string): Promise<boolean>;
  /** Secrets Manager's answer to an allowed, correctly signed request. */
  protected abstract secretsManager(
    req: http.IncomingMessage,
    body: Buffer,
    secretId: string,
  ): Promise<Answer>;

  private async answer(req: http.IncomingMessage, body: Buffer): Promise<Answer> {
    const text = (status: number, value: string) => ({ status, type: "text/plain", body: value });
    const url = req.url ?? "";
    const caller = this.callerAt(req.socket.remoteAddress ?? "");
    if (req.method === "PUT" && url === "/latest/api/token") {
      return caller === undefined ? text(403, "not an instance") : text(200, `imds-${caller.instance}`);
    }
    if (url.startsWith(CREDENTIALS_PATH)) {
      if (caller === undefined) return text(403, "not an instance");
      if (req.headers["x-aws-ec2-metadata-token"] !== `imds-${caller.instance}`)
        return text(401, "IMDSv2 token");
      const role = await this.roleOf(caller);
      if (role === undefined) return text(404, "no instance profile");
      const asked = url.slice(CREDENTIALS_PATH.length);
      if (asked === "") return text(200, role);
      if (asked !== role) return text(404, `no role ${asked}`);
      const id = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
      const secret = randomBytes(20).toString("base64");
      this.issued.set(id, { secret, role, caller });
      return {
        status: 200,
        type: "application/json",
        body: JSON.stringify({
          Code: "Success",
          AccessKeyId: id,
          SecretAccessKey: secret,
          Token: `token-${id}`,
        }),
      };
    }
    const target = req.headers["x-amz-target"];
    if (req.method === "POST" && typeof target === "string" && target.startsWith("secretsmanager.")) {
      const refused = (type: string, message: string) => {
        this.refusals.push(`${type}: ${message}`);
        return { status: 400, type: JSON_1_1, body: JSON.stringify({ __type: type, message }) };
      };
      const signed = verifiedSigner(req, body, "secretsmanager", (id) => this.issued.get(id)?.secret);
      if ("refused" in signed) return refused("IncompleteSignature", signed.refused);
      if (req.headers["x-amz-security-token"] !== `token-${signed.accessKeyId}`) {
        return refused("InvalidClientTokenId", "the session token does not go with the key");
      }
      const { role } = this.issued.get(signed.accessKeyId) as { role: string };
      const action = `secretsmanager:${target.slice("secretsmanager.".length)}`;
      const { SecretId } = JSON.parse(body.toString("utf8")) as { SecretId: string };
      if (!(await this.allowed(role, action, SecretId))) {
        return refused("AccessDeniedException", `${role} may not ${action} on ${SecretId}`);
      }
      return this.secretsManager(req, body, SecretId);
    }
    return text(404, `${req.method} ${url}: not served to instances here`);
  }
}
