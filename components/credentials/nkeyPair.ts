import * as pulumi from "@pulumi/pulumi";
import { JwtKind } from "../model/security/claims";
import { createNKey } from "./jwt";

interface NKeyPairState {
  kind: JwtKind;
  publicKey: string;
  seed: string;
}

/**
 * An NKey made once and kept (its seed encrypted) in state: an identity that no other change
 * replaces, since every JWT and creds file issued for it would go with it.
 */
export const nkeyPairProvider: pulumi.dynamic.ResourceProvider<{ kind: JwtKind }, NKeyPairState> = {
  async create(inputs) {
    const key = createNKey(inputs.kind);
    return { id: key.publicKey, outs: { kind: inputs.kind, ...key } };
  },
  async diff(_id, olds, news) {
    const changed = olds.kind !== news.kind;
    return { changes: changed, replaces: changed ? ["kind"] : [] };
  },
};

/** `pulumi-nodejs:credentials:NKeyPair`: an operator, account or user key. */
export class NKeyPair extends pulumi.dynamic.Resource {
  declare readonly publicKey: pulumi.Output<string>;
  declare readonly seed: pulumi.Output<string>;

  constructor(name: string, kind: JwtKind, opts?: pulumi.CustomResourceOptions) {
    super(
      nkeyPairProvider,
      name,
      { kind, publicKey: undefined, seed: undefined },
      { ...opts, additionalSecretOutputs: ["seed"] },
      "credentials",
      "NKeyPair",
    );
  }
}
