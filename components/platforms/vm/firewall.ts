/*
 * Who may reach which port of a region's VMs, the same on every VM cloud: routes from the region's
 * network and from the servers' public addresses (a stretch cluster's routes cross regions),
 * gateways from those addresses alone, clients from `clientCidrs`, monitoring and SSH from the
 * region's network and `adminCidrs`. Where a peer's address cannot be known (a load balancer on
 * Kubernetes), gateways and stretch routes are open to all, behind mutual TLS. Descriptions keep to
 * the characters every cloud accepts (AWS: letters, digits, space and `._-:/()#,@[]+=&;{}!$*`).
 */
import * as pulumi from "@pulumi/pulumi";
import { VM_DEFAULTS, VmRegionArgs } from "./args";
import { VM_PORTS } from "./layout";

/** Short and unique per region: part of resource names. */
export const FIREWALL_RULE_NAMES = ["clients", "routes", "gateways", "monitoring", "ssh"] as const;

export interface FirewallRule {
  name: (typeof FIREWALL_RULE_NAMES)[number];
  port: number;
  sources: pulumi.Input<string[]>;
  description: string;
}

export function vmFirewallRules(
  internal: string[],
  args: VmRegionArgs,
  peers: pulumi.Output<string[]> | undefined,
): FirewallRule[] {
  const peerCidrs = peers?.apply((ips) => ips.map((ip) => `${ip}/32`)) ?? pulumi.output(["0.0.0.0/0"]);
  return [
    {
      name: "clients",
      port: VM_PORTS.client,
      sources: args.clientCidrs ?? VM_DEFAULTS.clientCidrs,
      description: "NATS clients",
    },
    {
      name: "routes",
      port: VM_PORTS.cluster,
      sources: peerCidrs.apply((cidrs) => [...internal, ...cidrs]),
      description: "routes: the region and the public IPs of the servers",
    },
    {
      name: "gateways",
      port: VM_PORTS.gateway,
      sources: peerCidrs,
      description: "gateways: every server of the super-cluster",
    },
    {
      name: "monitoring",
      port: VM_PORTS.monitor,
      sources: [...internal, ...(args.adminCidrs ?? [])],
      description: "monitoring",
    },
    ...(args.adminCidrs !== undefined
      ? [{ name: "ssh" as const, port: 22, sources: args.adminCidrs, description: "SSH" }]
      : []),
  ];
}
