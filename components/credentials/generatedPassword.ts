import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";

interface GeneratedPasswordState {
  bytes: number;
  result: string;
}

/** A random password made once and kept (encrypted) in state, for stacks that bring none of their own. */
export const generatedPasswordProvider: pulumi.dynamic.ResourceProvider<
  { bytes: number },
  GeneratedPasswordState
> = {
  async create(inputs) {
    // Hex: no character a shell or a command line reads as a flag or a quote (base64url may start with "-").
    const result = crypto.randomBytes(inputs.bytes).toString("hex");
    return { id: crypto.randomUUID(), outs: { bytes: inputs.bytes, result } };
  },
  async diff(_id, olds, news) {
    const changed = olds.bytes !== news.bytes;
    return { changes: changed, replaces: changed ? ["bytes"] : [] };
  },
};

/** `pulumi-nodejs:credentials:GeneratedPassword`. */
export class GeneratedPassword extends pulumi.dynamic.Resource {
  declare readonly result: pulumi.Output<string>;

  constructor(name: string, opts?: pulumi.CustomResourceOptions) {
    super(
      generatedPasswordProvider,
      name,
      { bytes: 24, result: undefined },
      { ...opts, additionalSecretOutputs: ["result"] },
      "credentials",
      "GeneratedPassword",
    );
  }
}
