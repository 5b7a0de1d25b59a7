/*
 * The instances' metadata service and Secrets Manager in the EC2 world (InstanceEndpoints): roles
 * as moto records each instance's profile, access as IAM would decide it from the role's inline
 * policies in moto (Allow and Deny statements of an action and a resource; moto checks neither),
 * and allowed calls answered by moto.
 */
import * as http from "http";
import { Answer, Caller, InstanceEndpoints } from "./instanceEndpoints";
import { Moto, tagged } from "./moto";

type Statement = { Effect: string; Action: string | string[]; Resource: string | string[] };

const globMatch = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.?+^$(){}|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  ).test(value);
const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

export class InstanceServices extends InstanceEndpoints {
  constructor(
    private readonly moto: Moto,
    host: string,
    port: number,
    /** The instance whose machine sends from `address`, and its region. */
    private readonly instanceAt: (address: string) => Caller | undefined,
  ) {
    super(host, port);
  }

  protected callerAt(address: string): Caller | undefined {
    return this.instanceAt(address);
  }

  protected async roleOf({ instance, region }: Caller): Promise<string | undefined> {
    const described = await this.moto.ec2(region, "DescribeInstances", { "InstanceId.1": instance });
    const profileArn = /<iamInstanceProfile>[\s\S]*?<arn>([^<]+)<\/arn>/.exec(described)?.[1];
    if (profileArn === undefined) return undefined;
    const profile = await this.moto.iam("GetInstanceProfile", {
      InstanceProfileName: profileArn.split("/").pop() as string,
    });
    return tagged(profile, "RoleName")[0];
  }

  protected async allowed(role: string, action: string, resource: string): Promise<boolean> {
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

  protected async secretsManager(req: http.IncomingMessage, body: Buffer): Promise<Answer> {
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
}
