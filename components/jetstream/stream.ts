import * as pulumi from "@pulumi/pulumi";
import { Duration } from "../model/durations";
import { StreamSourceSpec, StreamSpec } from "../model/streamSpec";
import { ConnectionSpec } from "./connection";
import { Inputs } from "./inputs";
import { streamProvider } from "./streamProvider";

export type StreamArgs = Partial<Inputs<StreamSpec>> & {
  /** How to reach JetStream; always stored as a secret. */
  connection: pulumi.Input<Inputs<ConnectionSpec>>;
  /** Take over an existing stream of the same name instead of failing on it. */
  adopt?: boolean;
};

/**
 * `pulumi-nodejs:dynamic/jetstream:Stream`: a JetStream stream. Its name defaults to the resource
 * name. Changes the server cannot make in place (storage, retention to or from workqueue, a mirror
 * added or changed, a flag turned back off...) replace the stream: it is deleted, then created anew.
 */
export class Stream extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly subjects: pulumi.Output<string[] | undefined>;
  declare readonly placement: pulumi.Output<StreamSpec["placement"]>;
  declare readonly mirror: pulumi.Output<StreamSourceSpec | undefined>;
  declare readonly sources: pulumi.Output<StreamSourceSpec[] | undefined>;
  declare readonly maxAge: pulumi.Output<Duration | undefined>;

  constructor(name: string, args: StreamArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      streamProvider,
      name,
      { name, ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "jetstream",
      "Stream",
    );
  }
}
