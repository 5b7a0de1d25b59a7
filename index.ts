import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { SuperCluster } from "./components";
import { PortBases, RegionSpec, StretchSpec } from "./components/model/topology";

/**
 * The program behind `npm run up`: the super-cluster described by the stack's config, and the app
 * config that applications need, as stack outputs.
 */
export = async () => {
  const config = new pulumi.Config();
  const superCluster = new SuperCluster("nats", {
    regions: config.requireObject<RegionSpec[]>("regions"),
    stretch: config.getObject<StretchSpec>("stretch"),
    ports: config.getObject<Partial<PortBases>>("ports"),
    local: { dataDir: config.get("dataDir") ?? path.join(__dirname, ".data", pulumi.getStack()) },
  });
  return {
    clusters: superCluster.clusters,
    credentials: superCluster.appCredentials,
  };
};
