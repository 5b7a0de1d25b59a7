import * as pulumi from "@pulumi/pulumi";
import { APP_ACCOUNT, regionAccount, SYSTEM_ACCOUNT } from "../model/accounts";
import { accountClaims, NatsClaims, operatorClaims, TierLimits, userClaims } from "../model/security/claims";
import { watcherPermissions } from "../model/security/permissions";
import { OperatorAuth } from "../model/serverConfig";
import { formatCreds } from "./jwt";
import { NKeyPair } from "./nkeyPair";
import { SignedJwt } from "./signedJwt";

/** An account of the operator that the program changes: its key, and a user of its own. */
export interface AccountIdentity {
  name: string;
  publicKey: pulumi.Output<string>;
  seed: pulumi.Output<string>;
  /** A user without restrictions: the stack's own streams, consumers and resumes in the account. */
  adminCreds: pulumi.Output<string>;
  /** The source watchers' user: stream list, info and leader step-down only. */
  watcherCreds: pulumi.Output<string>;
}

/** The operator, its accounts and the users the stack itself connects as. */
export interface OperatorIdentity {
  /** What servers trust: the operator JWT and the accounts they preload. */
  auth: pulumi.Output<OperatorAuth>;
  operatorSeed: pulumi.Output<string>;
  /** The application account, then each region's, by name. */
  accounts: Record<string, AccountIdentity>;
  /** A system-account user's `.creds`: account JWT pushes and lookups. */
  systemCreds: pulumi.Output<string>;
}

/** A user's `.creds` file content, from its JWT and key: a secret. */
export const credsOf = (userJwt: pulumi.Output<string>, user: NKeyPair): pulumi.Output<string> =>
  pulumi.secret(pulumi.all([userJwt, user.seed]).apply(([j, seed]) => formatCreds(j, seed)));

/**
 * The keys and JWTs of operator mode, made once and kept in state (seeds as secrets): the system
 * account, the application account and one account per region, each JetStream-enabled account
 * with `tiers`. A preloaded account JWT is the first one issued, kept as it is: servers hold a newer
 * one once its limits, links or revocations are pushed, and a new preload would rewrite every
 * server's config.
 */
export function createOperatorIdentity(
  name: string,
  tiers: Record<string, TierLimits>,
  regions: string[],
  parent: pulumi.Resource,
): OperatorIdentity {
  const opts = { parent };
  const key = (part: string, kind: "operator" | "account" | "user") =>
    new NKeyPair(`${name}-${part}-key`, kind, opts);
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

  const operator = key("operator", "operator");
  const system = key("system-account", "account");
  const systemUser = key("system-user", "user");
  const operatorJwt = jwt(
    "operator",
    name,
    operator,
    system.publicKey.apply((pub) => operatorClaims(pub)),
    operator,
  );
  const systemJwt = jwt("system-account", SYSTEM_ACCOUNT, system, accountClaims(false), operator);
  const systemUserJwt = jwt("system-user", "system", systemUser, userClaims(), system);

  // The application account keeps the resource names it had before region accounts existed.
  const parts = [
    { account: APP_ACCOUNT, part: "app", adminPart: "admin-user" },
    ...regions.map((region) => ({
      account: regionAccount(region),
      part: `app-${region}`,
      adminPart: `app-${region}-admin-user`,
    })),
  ];
  const accounts = parts.map(({ account, part, adminPart }) => {
    const accountKey = key(`${part}-account`, "account");
    const accountJwt = jwt(`${part}-account`, account, accountKey, accountClaims(tiers), operator, {
      ignoreChanges: ["claims"],
    });
    const admin = key(adminPart, "user");
    const adminJwt = jwt(adminPart, "admin", admin, userClaims(), accountKey);
    const watcher = key(`${part}-watcher-user`, "user");
    const { pub, sub } = watcherPermissions();
    const watcherJwt = jwt(`${part}-watcher-user`, "watcher", watcher, userClaims(pub, sub), accountKey);
    return {
      identity: {
        name: account,
        publicKey: accountKey.publicKey,
        seed: accountKey.seed,
        adminCreds: credsOf(adminJwt, admin),
        watcherCreds: credsOf(watcherJwt, watcher),
      },
      preload: pulumi.all([accountKey.publicKey, accountJwt]),
    };
  });

  return {
    auth: pulumi
      .all([operatorJwt, system.publicKey, systemJwt, pulumi.all(accounts.map((a) => a.preload))])
      .apply(([op, sysPub, sysJwt, preloads]) => ({
        operator: {
          jwt: op,
          systemAccount: sysPub,
          preload: { [sysPub]: sysJwt, ...Object.fromEntries(preloads) },
        },
      })),
    operatorSeed: operator.seed,
    accounts: Object.fromEntries(accounts.map(({ identity }) => [identity.name, identity])),
    systemCreds: credsOf(systemUserJwt, systemUser),
  };
}
