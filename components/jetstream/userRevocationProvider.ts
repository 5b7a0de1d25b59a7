import * as pulumi from "@pulumi/pulumi";
import { AccountTarget, changeAccountPart } from "./accountClaims";
import { Inputs } from "./inputs";

export interface UserRevocationInputs {
  /** The user's public key. */
  user: string;
  target: AccountTarget;
}

/**
 * Holds nothing while the user exists; when it goes (the user removed from the program, or its key
 * rotated), its key is revoked in the account JWT: every server refuses it from then on and closes
 * its connections. The revocation stays in the account: a JWT once issued cannot be taken back.
 */
export const userRevocationProvider: pulumi.dynamic.ResourceProvider<
  UserRevocationInputs,
  UserRevocationInputs
> = {
  async create(inputs) {
    return { id: inputs.user, outs: inputs };
  },

  async diff(_id, olds, news) {
    const changed = olds.user !== news.user;
    return { changes: changed, replaces: changed ? ["user"] : [] };
  },

  async delete(_id, props) {
    // Every JWT of this key issued until now; a server compares the JWT's iat with it.
    const now = Math.floor(Date.now() / 1000);
    await changeAccountPart(props.target, undefined, { revocations: { [props.user]: now } });
  },
};

/** `pulumi-nodejs:jetstream:UserRevocation`. */
export class UserRevocation extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    args: { user: pulumi.Input<string>; target: pulumi.Input<Inputs<AccountTarget>> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      userRevocationProvider,
      name,
      { ...args, target: pulumi.secret(args.target) },
      { ...opts, additionalSecretOutputs: ["target"] },
      "jetstream",
      "UserRevocation",
    );
  }
}
