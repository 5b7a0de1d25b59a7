import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Endpoint } from "../../model/endpoints";
import { ServerPlan } from "../../model/plan";
import { NatsServerConfig, ServerFiles, withFilesDigest, withLameDuck } from "../../model/serverConfig";
import { GroupInputs, PlatformDriver, ServerGroup } from "../driver";
import { ProvisionedServers } from "../provisioned";
import { answeringClientUrls } from "../serversAnswering";
import { KubernetesRegionArgs } from "./args";
import { kubernetesEndpoint, kubernetesFiles, namespaceOf, podMonitorUrl } from "./layout";
import {
  clientServiceManifest,
  configSecretManifest,
  dataClaimManifest,
  disruptionBudgetManifest,
  externalServiceManifest,
  headlessServiceManifest,
  namespaceManifest,
  podMonitorManifest,
  statefulSetManifest,
} from "./manifests";

/** A region's Kubernetes cluster: how to reach it, and the namespace the servers go in. */
interface RegionTarget {
  provider: pulumi.ProviderResource;
  namespace: pulumi.Resource | undefined;
}

/**
 * The `k8s` platform: each region's servers in that region's Kubernetes cluster. Regions may
 * share one cluster in namespaces of their own; a stretch cluster's servers each run in their own
 * region's cluster and namespace.
 */
export class KubernetesPlatform implements PlatformDriver {
  readonly platform = "k8s" as const;
  private readonly targets = new Map<string, RegionTarget>();

  constructor(
    private readonly name: string,
    /** Region name → its Kubernetes args. */
    private readonly regions: Map<string, KubernetesRegionArgs>,
    private readonly parent: pulumi.ComponentResource,
  ) {}

  endpoint(server: ServerPlan): Endpoint {
    return kubernetesEndpoint(server, this.argsOf(server.region));
  }

  files(_server: ServerPlan, tls: boolean): ServerFiles {
    return kubernetesFiles(tls);
  }

  provision(group: ServerGroup, inputs: GroupInputs): KubernetesCluster {
    return new KubernetesCluster(
      `${this.name}-${group.cluster.name}-k8s`,
      { group, inputs, regions: this.regions, target: (region) => this.target(region) },
      { parent: this.parent },
    );
  }

  private argsOf(region: string): KubernetesRegionArgs {
    const args = this.regions.get(region);
    if (args === undefined) throw new Error(`region ${region} has no k8s args`);
    return args;
  }

  /** The provider and namespace of a region, made once however many clusters it hosts. */
  private target(region: string): RegionTarget {
    const known = this.targets.get(region);
    if (known !== undefined) return known;
    const args = this.argsOf(region);
    // Secrets change in place: by default the provider replaces a Secret whose data changes, which
    // deletes each server's config and certificates before it makes them again.
    const provider =
      args.provider ??
      new k8s.Provider(
        `${this.name}-${region}-k8s`,
        {
          kubeconfig: args.kubeconfig,
          context: args.context,
          namespace: namespaceOf(args),
          enableSecretMutable: true,
        },
        { parent: this.parent },
      );
    const namespace =
      args.createNamespace === false
        ? undefined
        : new k8s.core.v1.Namespace(
            `${this.name}-${region}-namespace`,
            namespaceManifest(namespaceOf(args)),
            {
              parent: this.parent,
              provider,
            },
          );
    const target = { provider, namespace };
    this.targets.set(region, target);
    return target;
  }
}

interface KubernetesClusterArgs {
  group: ServerGroup;
  inputs: GroupInputs;
  regions: Map<string, KubernetesRegionArgs>;
  target: (region: string) => RegionTarget;
}

/**
 * `nats-global:k8s:Cluster`: a cluster's servers on Kubernetes, in each region's cluster. Servers
 * restart one at a time: each StatefulSet waits for the server before it (of this cluster, on any
 * platform) to be back, healthy and caught up.
 */
export class KubernetesCluster extends pulumi.ComponentResource implements ProvisionedServers {
  readonly clientUrls: pulumi.Output<string[]>;
  readonly monitorUrls: pulumi.Output<string[]>;
  readonly incarnations: pulumi.Output<string[]>;

  constructor(name: string, args: KubernetesClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nats-global:k8s:Cluster", name, {}, opts);
    const { group, inputs } = args;
    const tls = inputs.tls !== undefined;
    const cluster = group.cluster.name;
    const regions = [...new Set(group.servers.map((s) => s.region))];
    for (const region of regions) {
      const regionArgs = args.regions.get(region) as KubernetesRegionArgs;
      const { provider, namespace } = args.target(region);
      const options = { parent: this, provider, dependsOn: namespace ? [namespace] : [] };
      new k8s.core.v1.Service(
        `${name}-${region}-headless`,
        headlessServiceManifest(cluster, regionArgs, tls),
        options,
      );
      new k8s.core.v1.Service(
        `${name}-${region}-client`,
        clientServiceManifest(cluster, regionArgs, tls),
        options,
      );
      new k8s.policy.v1.PodDisruptionBudget(
        `${name}-${region}-pdb`,
        disruptionBudgetManifest(group.cluster, region, regionArgs),
        options,
      );
      if (regionArgs.metrics?.podMonitor === true) {
        new k8s.apiextensions.CustomResource(
          `${name}-${region}-podmonitor`,
          podMonitorManifest(cluster, regionArgs),
          options,
        );
      }
    }
    const digests = group.servers.map((server) => {
      const regionArgs = args.regions.get(server.region) as KubernetesRegionArgs;
      const { provider, namespace } = args.target(server.region);
      const options = { parent: this, provider, dependsOn: namespace ? [namespace] : [] };
      // The digest covers the pod template too: a new image or probe restarts the server as a new
      // config does, and the rolling gate waits for the server to report it either way.
      const served = (inputs.configs.get(server.name) as pulumi.Output<NatsServerConfig>).apply((c) =>
        withFilesDigest(withLameDuck(c), statefulSetManifest(server, regionArgs, { tls })),
      );
      const config = served.apply(({ config: c }) => JSON.stringify(c, null, 2));
      const digest = served.digest;
      const pems = inputs.tls?.get(server.name);
      // Grown before the server that fills it is told its larger JetStream limit. Like a claim
      // template's, it outlives its server (the stack's namespace takes it along on destroy).
      const claim = new k8s.core.v1.PersistentVolumeClaim(
        `${name}-${server.name}-data`,
        dataClaimManifest(server, regionArgs),
        { ...options, retainOnDelete: true },
      );
      // In order too: the kubelet puts a new Secret in the pod at once, and a reload for new
      // certificates reads the config along with them.
      const secret = new k8s.core.v1.Secret(
        `${name}-${server.name}-config`,
        configSecretManifest(server, regionArgs, {
          config,
          ...(pems !== undefined ? { ca: pems.caPem, cert: pems.certPem, key: pems.keyPem } : {}),
        }),
        { ...options, dependsOn: [...options.dependsOn, claim, ...inputs.rolling.after()] },
      );
      new k8s.core.v1.Service(
        `${name}-${server.name}-external`,
        externalServiceManifest(server, regionArgs, tls),
        options,
      );
      const statefulSet = new k8s.apps.v1.StatefulSet(
        `${name}-${server.name}`,
        statefulSetManifest(server, regionArgs, { tls, digest }),
        { ...options, dependsOn: [...options.dependsOn, secret] },
      );
      // The next server waits until this one has restarted with the new digest, healthy and caught up.
      inputs.rolling.done(server.name, {
        incarnation: digest,
        ready: [statefulSet],
        files: digest,
        restarts: true,
      });
      return digest;
    });
    const endpoints = group.servers.map((server) =>
      kubernetesEndpoint(server, args.regions.get(server.region) as KubernetesRegionArgs),
    );
    this.monitorUrls = pulumi.output(
      group.servers.map((server) =>
        podMonitorUrl(server, args.regions.get(server.region) as KubernetesRegionArgs, tls),
      ),
    );
    this.incarnations = pulumi
      .all(digests)
      .apply((list) => list.map((digest, i) => `${group.servers[i].name}:${digest}`));
    // Ready pods are not yet reachable ones: a load balancer and its DNS name come on their own time.
    this.clientUrls = answeringClientUrls(name, endpoints, this.incarnations, this);
    this.registerOutputs({ clientUrls: this.clientUrls, monitorUrls: this.monitorUrls });
  }
}
