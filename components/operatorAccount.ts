import * as pulumi from "@pulumi/pulumi";
import { NKeyPair } from "./credentials/nkeyPair";
import { AccountIdentity, credsOf, OperatorIdentity } from "./credentials/operatorIdentity";
import { SignedJwt } from "./credentials/signedJwt";
import type { AccountTarget } from "./jetstream/accountClaims";
import type { ConnectionSpec } from "./jetstream/connection";
import { AccountPartResource } from "./jetstream/accountPartProvider";
import { UserRevocation } from "./jetstream/userRevocationProvider";
import { AccountPart } from "./model/security/accountParts";
import { accountClaims, TierLimits, userClaims } from "./model/security/claims";
import { UserPermissions } from "./model/security/permissions";

/** What changing an account needs from the super-cluster whose servers hold it. */
export interface AccountHost {
  /** Every client URL of the super-cluster (pushes and lookups may go through any server), and its CA. */
  reach: pulumi.Output<Pick<ConnectionSpec, "servers" | "tls">>;
  /** How many servers must hold a change. */
  serverCount: number;
  /** Changes wait for these (the servers). */
  dependsOn: pulumi.Resource[];
  /** The account lives on the servers: its parts go when they go. */
  resident: Pick<pulumi.CustomResourceOptions, "deletedWith">;
}

/**
 * An account of a super-cluster in operator mode, as the program changes it: its limits, each
 * virtual stream's exports or imports and each user's revocation are parts of one account JWT,
 * pushed over NATS; users are signed by the account key.
 */
export class OperatorAccount {
  private readonly target: pulumi.Output<AccountTarget>;

  constructor(
    identity: OperatorIdentity,
    private readonly account: AccountIdentity,
    private readonly host: AccountHost,
  ) {
    this.target = pulumi
      .all([host.reach, identity.systemCreds, identity.operatorSeed, account.publicKey])
      .apply(([reach, credentials, operatorSeed, publicKey]) => ({
        name: account.name,
        publicKey,
        operatorSeed,
        connection: { ...reach, credentials },
        servers: host.serverCount,
      }));
  }

  /** Pushed rather than preloaded: a change of limits reaches every server without a restart. */
  limits(name: string, tiers: Record<string, TierLimits>, parent: pulumi.Resource): pulumi.CustomResource {
    return this.part(name, "limits", { limits: accountClaims(tiers).limits }, { parent });
  }

  /**
   * A user with `permissions`, signed by the account, as a `.creds` secret. Removing it, or raising
   * `generation` (a new key), revokes the key it had on every server.
   */
  user(
    name: string,
    permissions: pulumi.Input<UserPermissions>,
    opts: { parent: pulumi.Resource; generation?: number },
  ): { creds: pulumi.Output<string>; publicKey: pulumi.Output<string> } {
    const parent = opts.parent;
    const key = new NKeyPair(`${name}-key`, "user", { parent }, opts.generation ?? 0);
    const jwt = new SignedJwt(
      `${name}-jwt`,
      {
        name,
        subject: key.publicKey,
        claims: pulumi.output(permissions).apply((p) => userClaims(p.pub, p.sub)),
        issuerSeed: this.account.seed,
      },
      { parent },
    ).jwt;
    new UserRevocation(
      `${name}-revocation`,
      { user: key.publicKey, target: this.target },
      { parent, dependsOn: this.host.dependsOn, ...this.host.resident },
    );
    return {
      creds: credsOf(jwt, key),
      publicKey: key.publicKey,
    };
  }

  /** One owner's entries (a virtual stream's exports or imports), replaced as the owner changes. */
  part(
    name: string,
    owner: string,
    part: pulumi.Input<AccountPart>,
    opts: { parent?: pulumi.Resource; dependsOn?: pulumi.Resource[] },
  ): pulumi.CustomResource {
    return new AccountPartResource(
      name,
      { owner, target: this.target, part },
      {
        parent: opts.parent,
        dependsOn: [...this.host.dependsOn, ...(opts.dependsOn ?? [])],
        ...this.host.resident,
      },
    );
  }
}
