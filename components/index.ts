export { SuperCluster } from "./superCluster";
export type { ClusterInfo, CredentialsArgs, LocalPlatformArgs, SuperClusterArgs } from "./superCluster";
export type { Platform, PortBases, RegionSpec, StretchSpec, TopologySpec } from "./model/topology";
export { planSuperCluster } from "./model/plan";
export type { ClusterPlan, ServerPlan, SuperClusterPlan } from "./model/plan";
export { InvalidSpecError } from "./model/validation";
