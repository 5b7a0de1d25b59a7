/*
 * What lets one EC2 instance, and nothing else but your admins, read its server's config and
 * certificates: a Secrets Manager secret holding them (encrypted with the account's
 * aws/secretsmanager key), and an instance profile whose role may read that secret alone.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ServerFileBundle } from "../vm/serverFiles";

export interface ServerIdentity {
  secret: aws.secretsmanager.Secret;
  /** The files now: a new version when they change, which the machine applies. */
  version: aws.secretsmanager.SecretVersion;
  policy: aws.iam.RolePolicy;
  profile: aws.iam.InstanceProfile;
}

const EC2_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/**
 * The secret and identity of the server named by `name`; its new files wait for `after` (the server
 * before it in its cluster, caught up).
 */
export function serverIdentity(
  name: string,
  files: pulumi.Output<ServerFileBundle>,
  options: pulumi.CustomResourceOptions,
  after: pulumi.Resource[],
): ServerIdentity {
  const secret = new aws.secretsmanager.Secret(
    `${name}-files`,
    {
      description: `nats-global: the config and certificates of NATS server ${name}`,
      // Made anew from the stack by the next up: nothing to recover, and its name is free at once.
      recoveryWindowInDays: 0,
      tags: { Name: name },
    },
    options,
  );
  const version = new aws.secretsmanager.SecretVersion(
    `${name}-files`,
    { secretId: secret.id, secretString: pulumi.secret(files.apply((bundle) => JSON.stringify(bundle))) },
    { ...options, dependsOn: after },
  );
  const role = new aws.iam.Role(
    name,
    {
      description: `nats-global: the instance of NATS server ${name}`,
      assumeRolePolicy: EC2_TRUST,
      tags: { Name: name },
    },
    options,
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-files`,
    {
      role: role.name,
      policy: secret.arn.apply((arn) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: arn }],
        }),
      ),
    },
    options,
  );
  const profile = new aws.iam.InstanceProfile(name, { role: role.name, tags: { Name: name } }, options);
  return { secret, version, policy, profile };
}
