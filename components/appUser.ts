import * as pulumi from "@pulumi/pulumi";
import type { AppCredentials } from "./jetstream/clientAuth";
import { regionPermissions } from "./model/security/permissions";
import { problemList } from "./model/validation";
import { planned } from "./specErrors";
import type { SuperCluster } from "./superCluster";
import type { VirtualStream } from "./virtualStream";

export interface AppUserArgs {
  superCluster: SuperCluster;
  /** The region the application runs in: the user may publish and consume there only. */
  region: string;
  /** The virtual streams it is given. */
  virtualStreams: VirtualStream[];
  /** Raise it to issue a new key: the old one is revoked on every server. */
  generation?: number;
}

/**
 * `nats-global:index:AppUser`: the credentials of one application in one region (operator mode), a
 * user of the region's account allowed exactly what it needs for its virtual streams there:
 * publishing on their subjects, consuming and inspecting them by name, acking, its inbox. `creds` is a secret;
 * `credentials` adds the CA to trust, as `connectionAuth` takes them.
 */
export class AppUser extends pulumi.ComponentResource {
  readonly creds: pulumi.Output<string>;
  readonly credentials: pulumi.Output<AppCredentials>;
  readonly publicKey: pulumi.Output<string>;

  constructor(name: string, args: AppUserArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nats-global:index:AppUser", name, {}, opts);
    const access = planned(() => {
      const problems = problemList();
      const regions = args.superCluster.plan.clusters.filter((c) => !c.stretch).map((c) => c.name);
      if (!regions.includes(args.region)) {
        problems.add(
          "region",
          `"${args.region}" is not a region of the super-cluster (${regions.join(", ")})`,
        );
      }
      if (args.virtualStreams.length === 0) problems.add("virtualStreams", "give the user at least one");
      problems.throwIfAny(`user "${name}"`);
      return args.virtualStreams.map(
        (vs) => vs.plan.access.find((a) => a.region === args.region) as (typeof vs.plan.access)[number],
      );
    });
    const user = args.superCluster.appUser(name, args.region, regionPermissions(access), {
      parent: this,
      generation: args.generation,
    });
    this.creds = user.creds;
    this.credentials = pulumi.secret(
      pulumi
        .all([user.creds, args.superCluster.tlsCa])
        .apply(([creds, ca]) => ({ creds, ...(ca !== undefined ? { ca } : {}) })),
    );
    this.publicKey = user.publicKey;
    this.registerOutputs({ publicKey: this.publicKey });
  }
}
