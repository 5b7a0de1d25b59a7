/*
 * For the tests of the main tier, which run without moto: an instance's metadata service and
 * Secrets Manager (InstanceEndpoints) for the secrets a test puts in, each readable by one role.
 * The platform tier runs the same agent against moto behind the EC2 world (aws/instanceServices.ts).
 */
import * as http from "http";
import { Answer, Caller, InstanceEndpoints } from "./aws/instanceEndpoints";

export class SecretsStandIn extends InstanceEndpoints {
  /** Secret id → its value. */
  readonly secrets = new Map<string, string>();
  /** Secret id → the one role that may read it. */
  readonly readers = new Map<string, string>();

  constructor(
    host: string,
    port: number,
    /** The role of the machine at a source address. */
    private readonly roleAt: (address: string) => string | undefined,
  ) {
    super(host, port);
  }

  protected callerAt(address: string): Caller | undefined {
    return this.roleAt(address) === undefined ? undefined : { instance: address, region: "us-west-2" };
  }

  protected async roleOf(caller: Caller): Promise<string | undefined> {
    return this.roleAt(caller.instance);
  }

  protected async allowed(role: string, action: string, secretId: string): Promise<boolean> {
    return action === "secretsmanager:GetSecretValue" && this.readers.get(secretId) === role;
  }

  protected async secretsManager(
    _req: http.IncomingMessage,
    _body: Buffer,
    secretId: string,
  ): Promise<Answer> {
    const value = this.secrets.get(secretId);
    return value === undefined
      ? {
          status: 400,
          type: "application/x-amz-json-1.1",
          body: JSON.stringify({ __type: "ResourceNotFoundException" }),
        }
      : {
          status: 200,
          type: "application/x-amz-json-1.1",
          body: JSON.stringify({ ARN: secretId, SecretString: value }),
        };
  }
}
