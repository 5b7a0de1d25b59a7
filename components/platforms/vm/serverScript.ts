import * as pulumi from "@pulumi/pulumi";
import { Endpoint, monitorUrl } from "../../model/endpoints";
import { NatsServerConfig, withLameDuck } from "../../model/serverConfig";
import { ServerTlsPems } from "../../model/security/tls";
import { NATS_SERVER_VERSION } from "../natsRelease";
import { ProvisionedServers } from "../provisioned";
import { answeringClientUrls } from "../serversAnswering";
import { bootScript } from "./bootScript";
import { vmLayout } from "./layout";

/** A VM server's boot script, once its config, PEMs and data device are known. */
export function serverBootScript(
  config: pulumi.Output<NatsServerConfig>,
  pems: pulumi.Output<ServerTlsPems> | undefined,
  dataDevice: pulumi.Input<string>,
): pulumi.Output<string> {
  return pulumi.all([config, pems, dataDevice]).apply(([rendered, tls, device]) =>
    bootScript({
      version: NATS_SERVER_VERSION,
      layout: vmLayout(),
      config: JSON.stringify(withLameDuck(rendered), null, 2),
      ...(tls !== undefined ? { tls: { ca: tls.caPem, cert: tls.certPem, key: tls.keyPem } } : {}),
      dataDevice: device,
    }),
  );
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
