import * as pulumi from "@pulumi/pulumi";
import { SourceResume } from "./jetstream/sourceResume";
import { Stream } from "./jetstream/stream";
import { APP_ACCOUNT } from "./model/accounts";
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
  /** The region's account: where the application's user lives. */
  account: string;
  publishSubject: string;
  publishSubjects: string[];
  /** The stream to consume and inspect: the virtual name. */
  consumeStream: string;
  /** The application account's stream that stores the region's writes. */
  writeStream: string;
}

/**
 * `nats-global:index:VirtualStream`: one global stream that applications in every region publish
 * to and consume from locally, as `name` and its subjects, in the chosen consistency mode. Its
 * children are the underlying Streams (the write side in the application account, one stream of
 * the virtual name in each region's account) and the account links between them.
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
    // The virtual subjects and what the write side stores them as (`foo.west.>`): another virtual
    // stream's immediate `foo.west.x` would clash with the latter in the application account.
    const stored = this.plan.streams
      .filter((s) => s.account === APP_ACCOUNT)
      .flatMap((s) => s.spec.subjects ?? []);
    planned(() =>
      superCluster.claimSubjects(`virtual stream "${streamName}"`, [
        ...new Set([...this.plan.subjects, ...stored]),
      ]),
    );

    const resident = superCluster.residentOptions();
    const create = (planned: VirtualStreamPlan["streams"][number], after: pulumi.Resource[]) => {
      const cluster = planned.spec.placement?.cluster as string;
      // Region streams keep the resource names of the read streams they replace.
      const suffix =
        planned.account === APP_ACCOUNT ? planned.spec.name.slice(streamName.length) : `-read-${cluster}`;
      return new Stream(
        `${name}${suffix}`,
        { ...planned.spec, connection: superCluster.connection(cluster, planned.account) },
        { parent: this, dependsOn: [superCluster, ...after], ...resident },
      );
    };
    // The write side first, each sourcing stream after its origins, so that it starts without a wait.
    const written = new Map<string, Stream>();
    for (const planned of this.plan.streams.filter((s) => s.account === APP_ACCOUNT)) {
      const origins = (planned.spec.sources ?? []).map((s) => written.get(s.name));
      written.set(
        planned.spec.name,
        create(
          planned,
          origins.filter((s): s is Stream => s !== undefined),
        ),
      );
    }
    const links = superCluster.applyLinks(`${name}-links`, streamName, this.plan.links, { parent: this });
    const regional = this.plan.streams
      .filter((s) => s.account !== APP_ACCOUNT)
      .map((planned) => ({ planned, stream: create(planned, [...written.values(), ...links]) }));
    this.streams = [...written.values(), ...regional.map((r) => r.stream)];

    const sourcing = this.plan.streams.filter(
      (s) => s.spec.mirror !== undefined || s.spec.sources !== undefined,
    );
    new SourceResume(
      `${name}-sources`,
      {
        streams: sourcing.map((s) => {
          const cluster = s.spec.placement?.cluster as string;
          return {
            name: s.spec.name,
            account: s.account,
            connection: superCluster.connection(cluster, s.account),
            originConnection: superCluster.connection(cluster),
          };
        }),
        incarnations: superCluster.incarnations,
      },
      { parent: this, dependsOn: this.streams, ...resident },
    );

    const ready = pulumi.all(regional.map((r) => r.stream.id));
    this.appConfig = pulumi.all([superCluster.clusters, ready]).apply(([clusters]) =>
      Object.fromEntries(
        this.plan.access.map((a) => [
          a.region,
          {
            clientUrls: clusters[a.region].clientUrls,
            account: a.account,
            publishSubject: a.publishSubjects[0],
            publishSubjects: a.publishSubjects,
            consumeStream: a.consumeStream,
            writeStream: a.writeStream,
          },
        ]),
      ),
    );
    this.registerOutputs({ appConfig: this.appConfig });
  }
}
