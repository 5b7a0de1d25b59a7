import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { SuperCluster, VirtualStream } from "./components";
import type { SecurityArgs } from "./components/superCluster";
import { PortBases, RegionSpec, StretchSpec } from "./components/model/topology";
import { VirtualStreamSpec } from "./components/model/virtualStream";

/**
 * The program behind `npm run up`: the super-cluster and the virtual streams described by the
 * stack's config, and what applications need, as stack outputs.
 */
export = async () => {
  const config = new pulumi.Config();
  const superCluster = new SuperCluster("nats", {
    regions: config.requireObject<RegionSpec[]>("regions"),
    stretch: config.getObject<StretchSpec>("stretch"),
    ports: config.getObject<Partial<PortBases>>("ports"),
    // Operator mode unless the stack says otherwise: the production shape, tested end to end.
    security: { mode: "operator", ...config.getObject<SecurityArgs>("security") },
    local: {
      dataDir: config.get("dataDir") ?? path.join(__dirname, ".data", pulumi.getStack()),
      network: config.get<"loopback" | "namespaces">("network"),
      networkOctet: config.getNumber("networkOctet"),
      latency: config.get("latency"),
    },
  });
  const virtualStreams = (config.getObject<VirtualStreamSpec[]>("virtualStreams") ?? []).map(
    (spec) => new VirtualStream(spec.name, { ...spec, superCluster }),
  );
  return {
    clusters: superCluster.clusters,
    streams: pulumi
      .all(virtualStreams.map((vs) => vs.appConfig))
      .apply((configs) => Object.fromEntries(configs.map((c, i) => [virtualStreams[i].plan.name, c]))),
    credentials: superCluster.appCredentials,
    // What `npm run partition` and `npm run heal` cut and mend (with network: namespaces).
    ...(superCluster.network ? { network: superCluster.network } : {}),
  };
};
