import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { AppUser, SuperCluster, VirtualStream } from "./components";
import type { SecurityArgs } from "./components/superCluster";
import { PortBases, StretchSpec } from "./components/model/topology";
import type { JetStreamLimits } from "./components/model/serverConfig";
import type { LivenessSpec } from "./components/model/liveness";
import type { RegionArgs } from "./components/platforms/registry";
import { VirtualStreamSpec } from "./components/model/virtualStream";

/** An application that gets a user per region: `nats-global:applications`. */
interface ApplicationSpec {
  name: string;
  virtualStreams?: string[];
  /** Raise it to rotate the application's keys: the old ones are revoked. */
  generation?: number;
}

/**
 * The program behind `npm run up`: the super-cluster and the virtual streams described by the
 * stack's config, and what applications need, as stack outputs.
 */
export = async () => {
  const config = new pulumi.Config();
  const superCluster = new SuperCluster("nats", {
    regions: config.requireObject<RegionArgs[]>("regions").map((region) => withKubeconfig(config, region)),
    stretch: config.getObject<StretchSpec>("stretch"),
    // Operator mode unless the stack says otherwise: the production shape, tested end to end.
    security: { mode: "operator", ...config.getObject<SecurityArgs>("security") },
    jetstream: config.getObject<Partial<JetStreamLimits>>("jetstream"),
    liveness: config.getObject<LivenessSpec>("liveness"),
    local: {
      dataDir: config.get("dataDir") ?? path.join(__dirname, ".data", pulumi.getStack()),
      ports: config.getObject<Partial<PortBases>>("ports"),
      network: config.get<"loopback" | "namespaces">("network"),
      networkOctet: config.getNumber("networkOctet"),
      latency: config.get("latency"),
    },
  });
  const virtualStreams = (config.getObject<VirtualStreamSpec[]>("virtualStreams") ?? []).map(
    (spec) => new VirtualStream(spec.name, { ...spec, superCluster }),
  );
  // Per application and region, a user allowed only its virtual streams there (operator mode).
  const applications = config.getObject<ApplicationSpec[]>("applications") ?? [];
  const regions = superCluster.plan.clusters.filter((c) => !c.stretch).map((c) => c.name);
  const users = applications.map((app) => {
    const given = (app.virtualStreams ?? []).map((name) => {
      const found = virtualStreams.find((vs) => vs.plan.name === name);
      if (found === undefined) {
        throw new pulumi.RunError(
          `applications "${app.name}": no virtual stream "${name}" in virtualStreams`,
        );
      }
      return found;
    });
    const byRegion = regions.map((region) => {
      const user = new AppUser(`${app.name}-${region}`, {
        superCluster,
        region,
        virtualStreams: given,
        generation: app.generation,
      });
      return pulumi.all([region, user.credentials]);
    });
    return pulumi.all([app.name, pulumi.all(byRegion).apply((e) => Object.fromEntries(e))]);
  });
  return {
    clusters: superCluster.clusters,
    streams: pulumi
      .all(virtualStreams.map((vs) => vs.appConfig))
      .apply((configs) => Object.fromEntries(configs.map((c, i) => [virtualStreams[i].plan.name, c]))),
    // The stack's own users, a secret: of the application account (the write side), and per region
    // of the region's account (the streams of the virtual names).
    credentials: superCluster.appCredentials,
    regionCredentials: superCluster.regionCredentials,
    // The system account's user, for operators (`<stack>-sys` context): a secret.
    systemCredentials: superCluster.systemCredentials,
    // Per application, the virtual streams it is given (`npm run app-config` reads them).
    applications: Object.fromEntries(applications.map((app) => [app.name, app.virtualStreams ?? []])),
    // Per application and region, the content of a `.creds` file and the CA to trust: a secret.
    users: pulumi.secret(pulumi.all(users).apply((entries) => Object.fromEntries(entries))),
    // What `npm run partition` and `npm run heal` cut and mend (`network`, with local namespaces).
    ...superCluster.platformOutputs,
  };
};

/**
 * A Kubernetes region's kubeconfig from the secret config `kubeconfig-<region>`, when the stack
 * has one (`pulumi config set --secret kubeconfig-west "$(cat west.yaml)"`), so that it is never
 * in the stack file in plain text.
 */
function withKubeconfig(config: pulumi.Config, region: RegionArgs): RegionArgs {
  const kubeconfig = region.platform === "k8s" ? config.getSecret(`kubeconfig-${region.name}`) : undefined;
  return kubeconfig === undefined || region.k8s === undefined
    ? region
    : { ...region, k8s: { ...region.k8s, kubeconfig } };
}
