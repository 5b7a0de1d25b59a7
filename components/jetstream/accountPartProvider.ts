import * as pulumi from "@pulumi/pulumi";
import { decodeJwt } from "../credentials/jwt";
import { AccountPart, partHeld } from "../model/security/accountParts";
import { AccountClaims } from "../model/security/claims";
import { AccountTarget, changeAccountPart, lookupAccountJwt } from "./accountClaims";
import { isUnreachable } from "./errors";
import { Inputs } from "./inputs";

export interface AccountPartInputs {
  /** Who puts this part in: a virtual stream, or the super-cluster for the limits. */
  owner: string;
  target: AccountTarget;
  part: AccountPart;
}

/**
 * One owner's entries in an account JWT that several owners share: creating, changing or deleting
 * it changes those entries on every server and leaves the other owners' alone.
 */
export const accountPartProvider: pulumi.dynamic.ResourceProvider<AccountPartInputs, AccountPartInputs> = {
  async create(inputs) {
    await changeAccountPart(inputs.target, undefined, inputs.part);
    return { id: `${inputs.target.publicKey}/${inputs.owner}`, outs: inputs };
  },

  async read(id, props) {
    if (props === undefined) throw new Error(`account part ${id} cannot be imported`);
    try {
      // What the servers hold of this part: an import or export changed by hand shows as drift.
      const held = decodeJwt<AccountClaims>(await lookupAccountJwt(props.target)).nats;
      const actual = { ...props, part: partHeld(held, props.part) };
      return { id, props: actual, inputs: actual };
    } catch (error) {
      // Servers out of reach: keep what was last known rather than fail the refresh.
      if (isUnreachable(error)) return { id, props, inputs: props };
      throw error;
    }
  },

  async diff(_id, olds, news) {
    const changed =
      JSON.stringify(olds.part) !== JSON.stringify(news.part) ||
      olds.target.publicKey !== news.target.publicKey ||
      olds.target.servers !== news.target.servers;
    return { changes: changed, replaces: olds.target.publicKey !== news.target.publicKey ? ["target"] : [] };
  },

  async update(_id, olds, news) {
    await changeAccountPart(news.target, olds.part, news.part);
    return { outs: news };
  },

  async delete(_id, props) {
    await changeAccountPart(props.target, props.part, undefined);
  },
};

/** `pulumi-nodejs:jetstream:AccountPart`. */
export class AccountPartResource extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    args: { owner: string; target: pulumi.Input<Inputs<AccountTarget>>; part: pulumi.Input<AccountPart> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      accountPartProvider,
      name,
      { ...args, target: pulumi.secret(args.target) },
      { ...opts, additionalSecretOutputs: ["target"] },
      "jetstream",
      "AccountPart",
    );
  }
}
