import * as pulumi from "@pulumi/pulumi";
import { JwtKind } from "../model/security/claims";
import { createNKey } from "./jwt";

interface NKeyPairInputs {
  kind: JwtKind;
  /** Changing it makes a new key: how a user's key is rotated. */
  generation: number;
}

interface NKeyPairState extends NKeyPairInputs {
  publicKey: string;
  seed: string;
}

/**
 * An NKey made once and kept (its seed encrypted) in state: an identity that no other change
 * replaces, since every JWT and creds file issued for it would go with it.
 */
export const nkeyPairProvider: pulumi.dynamic.ResourceProvider<NKeyPairInputs, NKeyPairState> = {
  async create(inputs) {
    const key = createNKey(inputs.kind);
    return { id: key.publicKey, outs: { ...inputs, ...key } };
  },
  async diff(_id, olds, news) {
    // State written before `generation` existed counts as generation 0.
    const replaces = (["kind", "generation"] as const).filter((k) => (olds[k] ?? 0) !== (news[k] ?? 0));
    return { changes: replaces.length > 0, replaces };
  },
};

/** `pulumi-nodejs:credentials:NKeyPair`: an operator, account or user key. */
export class NKeyPair extends pulumi.dynamic.Resource {
  declare readonly publicKey: pulumi.Output<string>;
  declare readonly seed: pulumi.Output<string>;

  constructor(name: string, kind: JwtKind, opts?: pulumi.CustomResourceOptions, generation = 0) {
    super(
      nkeyPairProvider,
      name,
      { kind, generation, publicKey: undefined, seed: undefined },
      { ...opts, additionalSecretOutputs: ["seed"] },
      "credentials",
      "NKeyPair",
    );
  }
}
