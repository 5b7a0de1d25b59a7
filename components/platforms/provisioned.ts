import * as pulumi from "@pulumi/pulumi";

/** What every platform returns for the servers it runs: addresses that resolve once they are up. */
export interface ProvisionedServers {
  clientUrls: pulumi.Output<string[]>;
  monitorUrls: pulumi.Output<string[]>;
  /** Per server, a value that changes whenever the server restarts (a pid, an instance id). */
  incarnations: pulumi.Output<string[]>;
}
