import * as pulumi from "@pulumi/pulumi";
import { accountClaims, NatsClaims, operatorClaims, TierLimits, userClaims } from "../model/security/claims";
import { APP_ACCOUNT, OperatorAuth, SYSTEM_ACCOUNT } from "../model/serverConfig";
import { formatCreds } from "./jwt";
import { NKeyPair } from "./nkeyPair";
import { SignedJwt } from "./signedJwt";

/** The operator, its two accounts and the users the stack itself connects as. */
export interface OperatorIdentity {
  /** What servers trust: the operator JWT and the accounts they preload. */
  auth: pulumi.Output<OperatorAuth>;
  operatorSeed: pulumi.Output<string>;
  appAccount: { name: string; publicKey: pulumi.Output<string>; seed: pulumi.Output<string> };
  /** A system-account user's `.creds`: account JWT pushes and lookups. */
  systemCreds: pulumi.Output<string>;
  /** An application-account user without restrictions: the stack's streams and consumers. */
  adminCreds: pulumi.Output<string>;
}

/** A user's `.creds` file content, from its JWT and key: a secret. */
export const credsOf = (userJwt: pulumi.Output<string>, user: NKeyPair): pulumi.Output<string> =>
  pulumi.secret(pulumi.all([userJwt, user.seed]).apply(([j, seed]) => formatCreds(j, seed)));

/**
 * The keys and JWTs of operator mode, made once and kept in state (seeds as secrets). The preloaded
 * application account JWT is the first one issued, kept as it is: servers hold a newer one once
 * its limits or mappings are pushed, and a new preload would rewrite every server's config.
 */
export function createOperatorIdentity(
  name: string,
  tiers: Record<string, TierLimits>,
  parent: pulumi.Resource,
): OperatorIdentity {
  const opts = { parent };
  const key = (part: string, kind: "operator" | "account" | "user") =>
    new NKeyPair(`${name}-${part}-key`, kind, opts);
  const operator = key("operator", "operator");
  const system = key("system-account", "account");
  const app = key("app-account", "account");
  const systemUser = key("system-user", "user");
  const adminUser = key("admin-user", "user");

  const jwt = (
    part: string,
    jwtName: string,
    subject: NKeyPair,
    claims: pulumi.Input<NatsClaims>,
    issuer: NKeyPair,
    extra: pulumi.CustomResourceOptions = {},
  ) =>
    new SignedJwt(
      `${name}-${part}-jwt`,
      { name: jwtName, subject: subject.publicKey, claims, issuerSeed: issuer.seed },
      { ...opts, ...extra },
    ).jwt;
  const operatorJwt = jwt(
    "operator",
    name,
    operator,
    system.publicKey.apply((pub) => operatorClaims(pub)),
    operator,
  );
  const systemJwt = jwt("system-account", SYSTEM_ACCOUNT, system, accountClaims(false), operator);
  const appJwt = jwt("app-account", APP_ACCOUNT, app, accountClaims(tiers), operator, {
    ignoreChanges: ["claims"],
  });
  const systemUserJwt = jwt("system-user", "system", systemUser, userClaims(), system);
  const adminUserJwt = jwt("admin-user", "admin", adminUser, userClaims(), app);

  return {
    auth: pulumi
      .all([operatorJwt, system.publicKey, systemJwt, app.publicKey, appJwt])
      .apply(([op, sysPub, sysJwt, appPub, appAccountJwt]) => ({
        operator: { jwt: op, systemAccount: sysPub, preload: { [sysPub]: sysJwt, [appPub]: appAccountJwt } },
      })),
    operatorSeed: operator.seed,
    appAccount: { name: APP_ACCOUNT, publicKey: app.publicKey, seed: app.seed },
    systemCreds: credsOf(systemUserJwt, systemUser),
    adminCreds: credsOf(adminUserJwt, adminUser),
  };
}
