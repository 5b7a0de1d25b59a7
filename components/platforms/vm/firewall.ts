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
  /** Source ranges known from the args. */
  ranges: string[];
  /** Whether the servers' public addresses are sources too (each a /32; everyone when unknown). */
  fromPeers: boolean;
  description: string;
}

export function vmFirewallRules(internal: string[], args: VmRegionArgs): FirewallRule[] {
  const admin = args.adminCidrs ?? [];
  return [
    {
      name: "clients",
      port: VM_PORTS.client,
      ranges: args.clientCidrs ?? VM_DEFAULTS.clientCidrs,
      fromPeers: false,
      description: "NATS clients",
    },
    {
      name: "routes",
      port: VM_PORTS.cluster,
      ranges: internal,
      fromPeers: true,
      description: "routes: the region and the public IPs of the servers",
    },
    {
      name: "gateways",
      port: VM_PORTS.gateway,
      ranges: [],
      fromPeers: true,
      description: "gateways: every server of the super-cluster",
    },
    {
      name: "monitoring",
      port: VM_PORTS.monitor,
      ranges: [...internal, ...admin],
      fromPeers: false,
      description: "monitoring",
    },
    ...(args.adminCidrs !== undefined
      ? [{ name: "ssh" as const, port: 22, ranges: admin, fromPeers: false, description: "SSH" }]
      : []),
  ];
}

/** A rule's sources: its ranges and, for rules that admit them, the peers' addresses. */
export function ruleSources(
  rule: FirewallRule,
  peers: pulumi.Output<string[]> | undefined,
): pulumi.Input<string[]> {
  if (!rule.fromPeers) return rule.ranges;
  const peerCidrs = peers?.apply((ips) => ips.map((ip) => `${ip}/32`)) ?? pulumi.output(["0.0.0.0/0"]);
  return peerCidrs.apply((cidrs) => [...rule.ranges, ...cidrs]);
}

/**
 * How many source ranges the rules name, with `peers` public addresses (undefined: unknown, one
 * range for everyone): what AWS counts against a security group's inbound rules.
 */
export function sourceRangeCount(rules: FirewallRule[], peers: number | undefined): number {
  return rules.reduce((sum, rule) => sum + rule.ranges.length + (rule.fromPeers ? (peers ?? 1) : 0), 0);
}
