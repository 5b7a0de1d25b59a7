/*
 * What lets one Compute Engine instance, and nothing else but your admins, read its server's
 * config and certificates: a Secret Manager secret holding them, and a service account of its own
 * that may access that secret alone (roles/secretmanager.secretAccessor on the secret).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { ServerFileBundle } from "../vm/serverFiles";
import { gcpNames } from "./naming";

export interface GcpServerIdentity {
  secret: gcp.secretmanager.Secret;
  /** The files now: a new version when they change, which the machine applies. */
  version: gcp.secretmanager.SecretVersion;
  account: gcp.serviceaccount.Account;
  access: gcp.secretmanager.SecretIamMember;
}

/** The secret and identity of `server`; its new files wait for `after` (the server before it, caught up). */
export function gcpServerIdentity(
  names: ReturnType<typeof gcpNames>,
  cluster: string,
  server: string,
  files: pulumi.Output<ServerFileBundle>,
  project: { project?: string },
  options: pulumi.CustomResourceOptions,
  after: pulumi.Resource[],
): GcpServerIdentity {
  const name = names.identity(cluster, server);
  const secret = new gcp.secretmanager.Secret(
    name,
    { secretId: names.secretId(server), replication: { auto: {} }, ...project },
    options,
  );
  const version = new gcp.secretmanager.SecretVersion(
    name,
    { secret: secret.id, secretData: pulumi.secret(files.apply((bundle) => JSON.stringify(bundle))) },
    { ...options, dependsOn: after },
  );
  const account = new gcp.serviceaccount.Account(
    name,
    {
      accountId: names.accountId(server),
      displayName: `nats-global: the instance of NATS server ${server}`,
      ...project,
    },
    options,
  );
  const access = new gcp.secretmanager.SecretIamMember(
    name,
    {
      secretId: secret.id,
      role: "roles/secretmanager.secretAccessor",
      member: pulumi.interpolate`serviceAccount:${account.email}`,
      ...project,
    },
    options,
  );
  return { secret, version, account, access };
}
