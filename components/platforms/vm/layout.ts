/*
 * A server on a virtual machine (AWS EC2, GCP Compute Engine): where its files are and where it is
 * reached, before the machine exists. Pure; shared by the VM platforms and their boot script.
 */
import { Endpoint } from "../../model/endpoints";
import { ServerPlan } from "../../model/plan";
import { ServerFiles } from "../../model/serverConfig";
import { PortBases } from "../../model/topology";
import { publicEndpoint } from "../publicHosts";

export const VM_PORTS: PortBases = { client: 4222, cluster: 6222, gateway: 7222, monitor: 8222 };

/** The paths a VM's server uses, under `root` ("" on a machine; a scratch folder in tests). */
export interface VmLayout {
  binary: string;
  /** Starts the binary with what depends on the machine it runs on now (GOMEMLIMIT). */
  starter: string;
  configDir: string;
  configFile: string;
  dataDir: string;
  pidFile: string;
  unitFile: string;
  /** Starts, reloads, restarts the server, or tells whether it runs: with systemd where it runs. */
  control: string;
  /** Fetches the server's files from the secret store and applies them (filesAgent.ts). */
  filesAgent: string;
  /** What the agent fetches from where, written by the boot script (no secret in it). */
  filesSettings: string;
  filesUnit: string;
  filesTimer: string;
  /** Who the server runs as: created by the script unless root. */
  user: string;
}

export function vmLayout(root = "", user = "nats"): VmLayout {
  return {
    binary: `${root}/usr/local/bin/nats-server`,
    starter: `${root}/usr/local/bin/nats-server-start`,
    configDir: `${root}/etc/nats`,
    configFile: `${root}/etc/nats/nats.conf`,
    dataDir: `${root}/var/lib/nats`,
    pidFile: `${root}/var/lib/nats/nats.pid`,
    unitFile: `${root}/etc/systemd/system/nats-server.service`,
    control: `${root}/usr/local/bin/nats-server-control`,
    filesAgent: `${root}/usr/local/bin/nats-server-files`,
    filesSettings: `${root}/etc/nats-global/files.json`,
    filesUnit: `${root}/etc/systemd/system/nats-server-files.service`,
    filesTimer: `${root}/etc/systemd/system/nats-server-files.timer`,
    user,
  };
}

/** The files of the server's config: store and resolver on its data volume, PEMs beside the config. */
export function vmFiles(layout: VmLayout, tls: boolean): ServerFiles {
  return {
    storeDir: `${layout.dataDir}/jetstream`,
    pidFile: layout.pidFile,
    ...(tls
      ? {
          tls: {
            caFile: `${layout.configDir}/ca.pem`,
            certFile: `${layout.configDir}/server.pem`,
            keyFile: `${layout.configDir}/server-key.pem`,
          },
        }
      : {}),
  };
}

/** Where a VM's server is reached: by everyone at its public address; by its own cluster privately. */
export interface VmAddresses {
  /** Its static public address (an Elastic or static external IP) or a DNS name for it. */
  publicHost: string;
  /** Its private address in the region's network, planned before the machine exists. */
  privateIp: string;
}

/** A server on a VM: a regional cluster's routes stay on the region's private network. */
export function vmEndpoint(
  server: ServerPlan,
  addresses: VmAddresses,
  ports: PortBases = VM_PORTS,
): Endpoint {
  return publicEndpoint(server, ports, { publicHost: addresses.publicHost, inside: addresses.privateIp });
}
