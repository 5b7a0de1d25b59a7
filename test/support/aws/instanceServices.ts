/*
 * What an EC2 instance reaches besides the API the provider uses: its instance metadata service
 * (IMDSv2: a session token, then temporary credentials of the role in its instance profile, as
 * moto records it) and Secrets Manager, for the files agent of each test machine. Requests to
 * Secrets Manager must carry a valid Signature Version 4 with the credentials handed out, and the
 * caller's role must be allowed the action on the secret by its policies in moto's IAM, as IAM
 * would decide for Allow and Deny statements of an action and a resource (moto itself checks
 * neither); then they go to moto.
 */
import { randomBytes } from "crypto";
import * as http from "http";
import { Moto, tagged } from "./moto";
import { verifiedSigner } from "./sigv4";

interface Issued {
  secret: string;
  role: string;
  instance: string;
}

type Statement = { Effect: string; Action: string | string[]; Resource: string | string[] };

const globMatch = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.?+^$(){}|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  ).test(value);
const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

export class InstanceServices {
  /** Why requests from machines were refused. */
  readonly refusals: string[] = [];
  /** Each secret read, by which instance. */
  readonly reads: { instance: string; secret: string }[] = [];
  private readonly issued = new Map<string, Issued>();
  private server: http.Server | undefined;

  constructor(
    private readonly moto: Moto,
    private readonly host: string,
    private readonly port: number,
    /** The instance whose machine sends from `address`, and its region. */
    private readonly instanceAt: (address: string) => { instance: string; region: string } | undefined,
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

  private async roleOf(instance: string, region: string): Promise<string | undefined> {
    const described = await this.moto.ec2(region, "DescribeInstances", { "InstanceId.1": instance });
    const profileArn = /<iamInstanceProfile>[\s\S]*?<arn>([^<]+)<\/arn>/.exec(described)?.[1];
    if (profileArn === undefined) return undefined;
    const profile = await this.moto.iam("GetInstanceProfile", {
      InstanceProfileName: profileArn.split("/").pop() as string,
    });
    return tagged(profile, "RoleName")[0];
  }

  /** Whether `role`'s inline policies allow `action` on `resource`, and no statement denies it. */
  private async allowed(role: string, action: string, resource: string): Promise<boolean> {
    const names = tagged(await this.moto.iam("ListRolePolicies", { RoleName: role }), "member");
    const statements: Statement[] = [];
    for (const name of names) {
      const xml = await this.moto.iam("GetRolePolicy", { RoleName: role, PolicyName: name });
      const document = JSON.parse(decodeURIComponent(tagged(xml, "PolicyDocument")[0])) as {
        Statement: Statement | Statement[];
      };
      statements.push(...(Array.isArray(document.Statement) ? document.Statement : [document.Statement]));
    }
    const applies = (s: Statement) =>
      list(s.Action).some((a) => globMatch(a, action)) &&
      list(s.Resource).some((r) => globMatch(r, resource));
    const matching = statements.filter(applies);
    return matching.some((s) => s.Effect === "Allow") && !matching.some((s) => s.Effect === "Deny");
  }

  private async answer(
    req: http.IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; type: string; body: string }> {
    const text = (status: number, value: string) => ({ status, type: "text/plain", body: value });
    const url = req.url ?? "";
    const caller = this.instanceAt(req.socket.remoteAddress ?? "");
    if (req.method === "PUT" && url === "/latest/api/token") {
      return caller === undefined ? text(403, "not an instance") : text(200, `imds-${caller.instance}`);
    }
    const credentialsPath = "/latest/meta-data/iam/security-credentials/";
    if (url.startsWith(credentialsPath)) {
      if (caller === undefined) return text(403, "not an instance");
      if (req.headers["x-aws-ec2-metadata-token"] !== `imds-${caller.instance}`)
        return text(401, "IMDSv2 token");
      const role = await this.roleOf(caller.instance, caller.region);
      if (role === undefined) return text(404, "no instance profile");
      const asked = url.slice(credentialsPath.length);
      if (asked === "") return text(200, role);
      if (asked !== role) return text(404, `no role ${asked}`);
      const id = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
      const secret = randomBytes(20).toString("base64");
      this.issued.set(id, { secret, role, instance: caller.instance });
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
        return {
          status: 400,
          type: "application/x-amz-json-1.1",
          body: JSON.stringify({ __type: type, message }),
        };
      };
      const signed = verifiedSigner(req, body, "secretsmanager", (id) => this.issued.get(id)?.secret);
      if ("refused" in signed) return refused("IncompleteSignature", signed.refused);
      const signer = this.issued.get(signed.accessKeyId) as Issued;
      if (req.headers["x-amz-security-token"] !== `token-${signed.accessKeyId}`) {
        return refused("InvalidClientTokenId", "the session token does not go with the key");
      }
      const action = `secretsmanager:${target.slice("secretsmanager.".length)}`;
      const { SecretId } = JSON.parse(body.toString("utf8")) as { SecretId: string };
      if (!(await this.allowed(signer.role, action, SecretId))) {
        return refused("AccessDeniedException", `${signer.role} may not ${action} on ${SecretId}`);
      }
      this.reads.push({ instance: signer.instance, secret: SecretId });
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => !["host", "content-length", "connection"].includes(k)),
      ) as Record<string, string>;
      const response = await fetch(this.moto.url, { method: "POST", headers, body });
      return {
        status: response.status,
        type: response.headers.get("content-type") ?? "application/x-amz-json-1.1",
        body: await response.text(),
      };
    }
    return text(404, `${req.method} ${url}: not served to instances here`);
  }
}
