export { SuperCluster } from "./superCluster";
export type {
  ClusterInfo,
  CredentialsArgs,
  LocalPlatformArgs,
  SecurityArgs,
  SuperClusterArgs,
} from "./superCluster";
export { connectionAuth } from "./jetstream/clientAuth";
export type { AppCredentials } from "./jetstream/clientAuth";
export type { TierLimits } from "./model/security/claims";
export type { Platform, PortBases, RegionSpec, StretchSpec, TopologySpec } from "./model/topology";
export { planSuperCluster } from "./model/plan";
export type { ClusterPlan, ServerPlan, SuperClusterPlan } from "./model/plan";
export { InvalidSpecError } from "./model/validation";
export { Stream } from "./jetstream/stream";
export type { StreamArgs } from "./jetstream/stream";
export type { ConnectionSpec } from "./jetstream/connection";
export type { StreamSpec, StreamSourceSpec, SubjectTransformSpec } from "./model/streamSpec";
export type { Duration } from "./model/durations";
export { Consumer } from "./jetstream/consumer";
export type { ConsumerArgs } from "./jetstream/consumer";
export type { ConsumerSpec } from "./model/consumerSpec";
export { VirtualStream } from "./virtualStream";
export { AppUser } from "./appUser";
export type { AppUserArgs } from "./appUser";
export type { RegionAppConfig, VirtualStreamArgs } from "./virtualStream";
export type { Consistency, VirtualStreamSpec } from "./model/virtualStream";
