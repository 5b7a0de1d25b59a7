/*
 * For the boot script tests of the main tier, which run without moto: EC2's instance metadata
 * service (IMDSv2: a token, then the instance role's credentials) and Secrets Manager's
 * GetSecretValue, answering as their documented APIs do, for the secrets a test puts in it. Unlike
 * moto it checks every request's Signature Version 4 as AWS does, with the credentials it handed
 * out, and that the caller's role may read the secret it asks for. The platform tier runs the same
 * agent against moto behind the EC2 world.
 */
import { randomBytes } from "crypto";
import * as http from "http";
import { verifiedSigner } from "./aws/sigv4";

export class SecretsStandIn {
  /** Secret id → its value. */
  readonly secrets = new Map<string, string>();
  /** Secret id → the one role that may read it. */
  readonly readers = new Map<string, string>();
  /** Why requests were refused, for the test to show. */
  readonly refusals: string[] = [];
  /** Each secret read, in order. */
  readonly reads: string[] = [];
  private readonly credentials = new Map<string, { secret: string; role: string }>();
  private server: http.Server | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    /** The role of the machine at a source address. */
    private readonly roleOf: (address: string) => string | undefined,
  ) {}

  /** What the agent's environment points at instead of AWS's endpoints. */
  get environment(): Record<string, string> {
    const url = `http://${this.host}:${this.port}`;
    return { AWS_EC2_METADATA_SERVICE_ENDPOINT: url, AWS_ENDPOINT_URL_SECRETS_MANAGER: url };
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const answer = this.answer(req, Buffer.concat(chunks));
        res.writeHead(answer.status, { "content-type": answer.type }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, this.host, resolve));
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private answer(req: http.IncomingMessage, body: Buffer): { status: number; type: string; body: string } {
    const text = (status: number, value: string) => ({ status, type: "text/plain", body: value });
    const url = req.url ?? "";
    if (req.method === "PUT" && url === "/latest/api/token") return text(200, "imds-token");
    if (url.startsWith("/latest/meta-data/iam/security-credentials/")) {
      if (req.headers["x-aws-ec2-metadata-token"] !== "imds-token") return text(401, "IMDSv2 token required");
      const role = this.roleOf(req.socket.remoteAddress ?? "");
      if (role === undefined) return text(404, "no instance profile");
      const asked = url.slice("/latest/meta-data/iam/security-credentials/".length);
      if (asked === "") return text(200, role);
      if (asked !== role) return text(404, `no role ${asked}`);
      const id = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
      const secret = randomBytes(20).toString("base64");
      this.credentials.set(id, { secret, role });
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
    if (req.method === "POST" && req.headers["x-amz-target"] === "secretsmanager.GetSecretValue") {
      const refused = (why: string) => {
        this.refusals.push(why);
        return { status: 400, type: "application/x-amz-json-1.1", body: JSON.stringify({ __type: why }) };
      };
      const signed = verifiedSigner(req, body, "secretsmanager", (id) => this.credentials.get(id)?.secret);
      if ("refused" in signed) return refused(signed.refused);
      const signer = this.credentials.get(signed.accessKeyId) as { role: string };
      if (req.headers["x-amz-security-token"] !== `token-${signed.accessKeyId}`) {
        return refused("InvalidClientTokenId: the session token");
      }
      const { SecretId } = JSON.parse(body.toString("utf8")) as { SecretId: string };
      if (this.readers.get(SecretId) !== signer.role)
        return refused(`AccessDenied: ${signer.role} on ${SecretId}`);
      const value = this.secrets.get(SecretId);
      if (value === undefined) return refused(`ResourceNotFoundException: ${SecretId}`);
      this.reads.push(SecretId);
      return {
        status: 200,
        type: "application/x-amz-json-1.1",
        body: JSON.stringify({ ARN: SecretId, SecretString: value }),
      };
    }
    return text(404, `${req.method} ${url}: not served here`);
  }
}
