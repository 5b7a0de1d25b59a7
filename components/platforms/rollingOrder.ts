/*
 * One server at a time through a cluster, across the platforms it spans: on a cloud that runs each
 * server on a machine of its own, a server's machine is created or replaced only after the server
 * before it in the cluster is back, healthy and caught up (ServerCaughtUp). Without it a replacement
 * waits only for the previous machine to run, and two peers of an R3 group could be down at once.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConnectionSpec } from "../jetstream/connection";
import { ServerCaughtUp } from "../jetstream/serverCaughtUp";

/** How the system account's user connects, but to which servers. */
export type SystemUser = Omit<ConnectionSpec, "servers">;

export class RollingOrder {
  private previous: pulumi.Resource | undefined;

  constructor(
    private readonly name: string,
    /** The cluster's name. */
    private readonly cluster: string,
    /** The client URLs of every server of the cluster. */
    private readonly servers: string[],
    private readonly systemUser: pulumi.Output<SystemUser>,
    private readonly parent: pulumi.Resource,
    /** How long each server may take to be back, healthy and caught up. */
    private readonly timeoutMs: number,
  ) {}

  /** What the next server's machine waits for: the server before it, caught up. */
  after(): pulumi.Resource[] {
    return this.previous !== undefined ? [this.previous] : [];
  }

  /**
   * Records that `server` runs on the machine (or pod) `incarnation` names once `ready` exist (its
   * volume, address and name), with the files of digest `files` where its machine fetches them
   * (`restarts`: every new incarnation is a restart): the next server waits for it.
   */
  done(
    server: string,
    started: {
      incarnation: pulumi.Input<string>;
      ready: pulumi.Resource[];
      files?: pulumi.Input<string>;
      restarts?: boolean;
    },
  ): void {
    const { incarnation, ready, files, restarts } = started;
    this.previous = new ServerCaughtUp(
      `${this.name}-${server}-caught-up`,
      {
        server,
        cluster: this.cluster,
        incarnation,
        ...(files !== undefined ? { files } : {}),
        ...(restarts === true ? { restarts } : {}),
        connection: this.systemUser.apply((user) => ({ ...user, servers: this.servers })),
        timeoutMs: this.timeoutMs,
      },
      { parent: this.parent, dependsOn: ready },
    );
  }
}
