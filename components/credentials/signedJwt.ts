import * as pulumi from "@pulumi/pulumi";
import { NatsClaims } from "../model/security/claims";
import { publicKeyOf, signJwt } from "./jwt";

export interface SignedJwtInputs {
  name: string;
  /** The public key the JWT is about. */
  subject: string;
  claims: NatsClaims;
  /** The signer's seed: the operator's for accounts and itself, the account's for its users. */
  issuerSeed: string;
}

interface SignedJwtState extends SignedJwtInputs {
  jwt: string;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A JWT signed when its claims, subject or issuer change, and kept otherwise: signing again on every
 * run would issue a new JWT (a new `iat`) each time and show a change where there is none.
 */
export const signedJwtProvider: pulumi.dynamic.ResourceProvider<SignedJwtInputs, SignedJwtState> = {
  async create(inputs) {
    const jwt = signJwt(inputs.name, inputs.subject, inputs.claims, inputs.issuerSeed);
    return { id: inputs.subject, outs: { ...inputs, jwt } };
  },
  async diff(_id, olds, news) {
    // At preview a new issuer's seed is not known yet (a key created in the same update): a change.
    const issuerOf = (seed: string) => {
      try {
        return publicKeyOf(seed);
      } catch {
        return undefined;
      }
    };
    const issuerChanged =
      issuerOf(news.issuerSeed) === undefined || issuerOf(olds.issuerSeed) !== issuerOf(news.issuerSeed);
    const changed =
      issuerChanged ||
      olds.name !== news.name ||
      olds.subject !== news.subject ||
      !sameJson(olds.claims, news.claims);
    return { changes: changed };
  },
  async update(_id, _olds, news) {
    return { outs: { ...news, jwt: signJwt(news.name, news.subject, news.claims, news.issuerSeed) } };
  },
};

export type SignedJwtArgs = { [K in keyof SignedJwtInputs]: pulumi.Input<SignedJwtInputs[K]> };

/** `pulumi-nodejs:credentials:SignedJwt`. */
export class SignedJwt extends pulumi.dynamic.Resource {
  declare readonly jwt: pulumi.Output<string>;

  constructor(name: string, args: SignedJwtArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      signedJwtProvider,
      name,
      { ...args, jwt: undefined },
      { ...opts, additionalSecretOutputs: ["issuerSeed"] },
      "credentials",
      "SignedJwt",
    );
  }
}
