import * as pulumi from "@pulumi/pulumi";
import { Endpoint, monitorOverHttps, monitorUrl } from "../../model/endpoints";
import { NatsServerConfig } from "../../model/serverConfig";
import { ServerTlsPems } from "../../model/security/tls";
import { NATS_SERVER_VERSION } from "../natsRelease";
import { ProvisionedServers } from "../provisioned";
import { answeringClientUrls } from "../serversAnswering";
import { bootScript } from "./bootScript";
import { FilesAgentSettings } from "./filesAgent";
import { vmLayout } from "./layout";
import { ServerFileBundle, serverFileBundle } from "./serverFiles";

/** By default a server's agent checks the secret store once a minute (one API call each time). */
export const DEFAULT_FILES_POLL_SECONDS = 60;

/** A VM server's boot script: where its files come from, and its data device. */
export function serverBootScript(inputs: {
  endpoint: Endpoint;
  tls: boolean;
  source: pulumi.Input<FilesAgentSettings["source"]>;
  dataDevice: pulumi.Input<string>;
  pollSeconds?: number;
}): pulumi.Output<string> {
  const { endpoint, tls } = inputs;
  const scheme = monitorOverHttps(endpoint, tls) ? "https" : "http";
  return pulumi.all([inputs.source, inputs.dataDevice]).apply(([source, device]) =>
    bootScript({
      version: NATS_SERVER_VERSION,
      layout: vmLayout(),
      source,
      monitor: `${scheme}://127.0.0.1:${endpoint.monitor}`,
      tls,
      pollSeconds: inputs.pollSeconds ?? DEFAULT_FILES_POLL_SECONDS,
      dataDevice: device,
    }),
  );
}

/** The bundle of a VM server's files for its secret, once its config and PEMs are known. */
export function vmServerFiles(
  server: string,
  config: pulumi.Output<NatsServerConfig>,
  pems: pulumi.Output<ServerTlsPems> | undefined,
): pulumi.Output<ServerFileBundle> {
  return pulumi
    .all([config, pems])
    .apply(([rendered, tls]) => serverFileBundle(server, rendered, tls, vmLayout()));
}

/** What a VM cluster reports: client URLs once its servers answer, monitoring URLs, instance ids. */
export function vmClusterOutputs(
  name: string,
  endpoints: Endpoint[],
  tls: boolean,
  instances: { server: string; id: pulumi.Output<string> }[],
  parent: pulumi.Resource,
): Pick<ProvisionedServers, "clientUrls" | "monitorUrls" | "incarnations"> {
  const incarnations = pulumi.all(instances.map(({ server, id }) => pulumi.interpolate`${server}:${id}`));
  return {
    clientUrls: answeringClientUrls(name, endpoints, incarnations, parent),
    monitorUrls: pulumi.output(endpoints.map((e) => monitorUrl(e, tls))),
    incarnations,
  };
}
