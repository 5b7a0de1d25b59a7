import * as pulumi from "@pulumi/pulumi";
import { SourceResume } from "./jetstream/sourceResume";
import { Stream } from "./jetstream/stream";
import { planVirtualStream, VirtualStreamPlan, VirtualStreamSpec } from "./model/virtualStream";
import { planned } from "./specErrors";
import { SuperCluster } from "./superCluster";

export interface VirtualStreamArgs extends Omit<VirtualStreamSpec, "name"> {
  /** The name applications use; defaults to the resource name. */
  name?: string;
  superCluster: SuperCluster;
}

/** Per region, what an application there is configured with. */
export interface RegionAppConfig {
  clientUrls: string[];
  publishSubject: string;
  publishSubjects: string[];
  consumeStream: string;
  writeStream: string;
  readStream: string;
}

/**
 * `nats-global:index:VirtualStream`: one global stream that applications in every region publish
 * to and consume from locally, as `name` and its subjects, in the chosen consistency mode. Its
 * children are the underlying Streams and the cluster-scoped account mappings that lead to them.
 */
export class VirtualStream extends pulumi.ComponentResource {
  readonly plan: VirtualStreamPlan;
  readonly streams: Stream[];
  readonly appConfig: pulumi.Output<Record<string, RegionAppConfig>>;

  constructor(name: string, args: VirtualStreamArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nats-global:index:VirtualStream", name, {}, opts);
    const { superCluster, ...spec } = args;
    const streamName = spec.name ?? name;
    this.plan = planned(() => planVirtualStream({ ...spec, name: streamName }, superCluster.plan));
    planned(() => superCluster.claimSubjects(`virtual stream "${streamName}"`, this.plan.subjects));

    const byName = new Map<string, Stream>();
    for (const streamSpec of this.plan.streams) {
      // Sourcing and mirroring streams come after their origins, so that they start without a wait.
      const origins = [streamSpec.mirror?.name, ...(streamSpec.sources ?? []).map((s) => s.name)]
        .map((origin) => (origin ? byName.get(origin) : undefined))
        .filter((s): s is Stream => s !== undefined);
      const cluster = streamSpec.placement?.cluster as string;
      const stream = new Stream(
        `${name}${streamSpec.name.slice(streamName.length)}`,
        { ...streamSpec, connection: superCluster.connection(cluster) },
        { parent: this, dependsOn: [superCluster, ...origins], ...superCluster.residentOptions() },
      );
      byName.set(streamSpec.name, stream);
    }
    this.streams = [...byName.values()];
    const sourcing = this.plan.streams.filter((s) => s.mirror !== undefined || s.sources !== undefined);
    new SourceResume(
      `${name}-sources`,
      {
        streams: sourcing.map((s) => ({
          name: s.name,
          connection: superCluster.connection(s.placement?.cluster as string),
        })),
        incarnations: superCluster.incarnations,
      },
      { parent: this, dependsOn: this.streams, ...superCluster.residentOptions() },
    );
    const mappings = superCluster.applyMappings(`${name}-mappings`, streamName, this.plan.mappings, {
      parent: this,
      dependsOn: this.streams,
    });

    this.appConfig = pulumi.all([superCluster.clusters, mappings.id]).apply(([clusters]) =>
      Object.fromEntries(
        this.plan.access.map((a) => [
          a.region,
          {
            clientUrls: clusters[a.region].clientUrls,
            publishSubject: a.publishSubjects[0],
            publishSubjects: a.publishSubjects,
            consumeStream: a.consumeStream,
            writeStream: a.writeStream,
            readStream: a.readStream,
          },
        ]),
      ),
    );
    this.registerOutputs({ appConfig: this.appConfig });
  }
}
