/*
 * An application's own Pulumi program, in a project of its own: it reads a nats-global stack's
 * outputs through a StackReference and makes the application's config for its region from them.
 * A real program would hand `appConfig` to what runs the application (a Kubernetes Secret, a VM's
 * environment); this one outputs it, a secret, and `app.ts` runs on it.
 */
import * as pulumi from "@pulumi/pulumi";
import { applicationConfig } from "../../components";
import type { AppCredentials, RegionAppConfig } from "../../components";

export = async () => {
  const config = new pulumi.Config("regional-app");
  // `organization/nats-global/<stack>` on a file backend, `<org>/nats-global/<stack>` on Pulumi Cloud.
  const nats = new pulumi.StackReference(config.require("natsStack"));
  const region = config.require("region");
  const app = config.require("app");
  const appConfig = pulumi
    .all([nats.requireOutput("streams"), nats.requireOutput("users"), nats.requireOutput("applications")])
    .apply(([streams, users, applications]) => {
      const given = (applications as Record<string, string[]>)[app];
      if (given === undefined) throw new Error(`app: the stack has no application "${app}"`);
      const all = streams as Record<string, Record<string, RegionAppConfig>>;
      return applicationConfig({
        region,
        credentials: (users as Record<string, Record<string, AppCredentials>>)[app][region],
        virtualStreams: Object.fromEntries(given.map((name) => [name, all[name]])),
      });
    });
  return { appConfig: pulumi.secret(appConfig) };
};
