import * as pulumi from "@pulumi/pulumi";
import { ConsumerSpec } from "../model/consumerSpec";
import { ConnectionSpec } from "./connection";
import { Inputs } from "./inputs";
import { consumerProvider } from "./consumerProvider";

export type ConsumerArgs = Omit<Inputs<ConsumerSpec>, "name"> & {
  /** The durable name; defaults to the resource name. */
  name?: pulumi.Input<string>;
  /** How to reach JetStream; always stored as a secret. */
  connection: pulumi.Input<Inputs<ConnectionSpec>>;
  /** Take over an existing consumer of the same name instead of failing on it. */
  adopt?: boolean;
};

/**
 * `pulumi-nodejs:dynamic/jetstream:Consumer`: a durable consumer of a stream, pull or push (with
 * `deliverSubject`). Changes the server cannot make in place (deliver, ack or replay policy, pull to
 * push, storage...) replace it.
 */
export class Consumer extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly stream: pulumi.Output<string>;

  constructor(name: string, args: ConsumerArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      consumerProvider,
      name,
      { name, ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "jetstream",
      "Consumer",
    );
  }
}
