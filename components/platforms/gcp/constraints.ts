/*
 * What the GCP provider and the GCP APIs accept of each value the gcp platform generates, with
 * where the rule is written and when it bites. No GCP provider runs here (neither pulumi-gcp nor its
 * upstream is served by the Go module proxy) and no credible Compute Engine emulator exists, so this
 * table stands in for them: the tests hold every generated value to it, and the preview-time checks
 * refuse input that would break a rule. Read from pulumi-gcp v9.35 (provider/resources.go),
 * pulumi-terraform-bridge v3.136 (pkg/tfbridge/info/autonaming.go), terraform-provider-google-beta
 * v7.45 and the APIs' discovery documents (compute v1, dns v1). Descriptions are absent: neither
 * the provider nor the API documents limit them (AWS, whose provider does, checks the same texts).
 * Pure.
 */

export interface GcpConstraint {
  /** What the value is, for messages. */
  what: string;
  /** What the rule says, for messages. */
  rule: string;
  /** Where it is written. */
  source: string;
  /** `preview`: the provider's Check refuses it; `up`: only the API does, after other resources exist. */
  when: "preview" | "up";
  /** Why `value` breaks the rule, or undefined when it keeps it. */
  problem(value: string): string | undefined;
}

/** The random suffix pulumi-gcp's autonaming adds: "-" and 7 characters of 0-9a-f. */
export const AUTONAME_SUFFIX = 8;
const GCE_NAME_MAX = 63;
const GCE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const pattern = (regex: RegExp, max: number, what: string) => (value: string) =>
  value.length > max
    ? `${value.length} characters, over ${max}`
    : regex.test(value)
      ? undefined
      : `not ${what}`;

export const GCP_CONSTRAINTS = {
  /**
   * The Pulumi name of an Address, Network, Subnetwork, Firewall, Disk or Instance: pulumi-gcp names
   * each `<name>-<7 hex>` and never truncates; the name must then be a GCE name of 63 at most.
   * Network and Subnetwork names are lowercased first, the others are not.
   */
  autonamed: {
    what: "resource name",
    rule: `a lowercase letter, then lowercase letters, digits and '-', at most ${GCE_NAME_MAX - AUTONAME_SUFFIX} characters (pulumi-gcp adds "-" and 7 random characters to make a GCE name of at most ${GCE_NAME_MAX})`,
    source:
      'pulumi-gcp provider/resources.go (SetAutonaming(255, "-"); lowercaseAutoName() with Maxlen 63 for Network and Subnetwork); ' +
      "terraform-provider-google-beta verify.ValidateGCEName, compute_address's ValidateRegexp, compute_instance's ValidateRFC1035Name(1, 63)",
    when: "preview",
    problem: pattern(
      /^[a-z][-a-z0-9]*$/,
      GCE_NAME_MAX - AUTONAME_SUFFIX,
      "a lowercase letter followed by lowercase letters, digits and '-'",
    ),
  },
  /** An instance's network tag, and the firewall rules' targetTags. */
  networkTag: {
    what: "network tag",
    rule: "1 to 63 characters, RFC 1035: a lowercase letter, then lowercase letters, digits and '-', not ending in '-'",
    source: "Compute API discovery document, Tags.items; not checked by the provider",
    when: "up",
    problem: pattern(GCE_NAME, GCE_NAME_MAX, "an RFC 1035 label"),
  },
  labelKey: {
    what: "label key",
    rule: "1 to 63 characters: a lowercase letter, then lowercase letters, digits, '_' and '-'",
    source: "cloud.google.com/resource-manager/docs/labels-overview; not checked by the provider",
    when: "up",
    problem: pattern(
      /^[a-z][a-z0-9_-]*$/,
      63,
      "a lowercase letter followed by lowercase letters, digits, '_' and '-'",
    ),
  },
  labelValue: {
    what: "label value",
    rule: "0 to 63 characters: lowercase letters, digits, '_' and '-'",
    source: "cloud.google.com/resource-manager/docs/labels-overview; not checked by the provider",
    when: "up",
    problem: pattern(/^[a-z0-9_-]*$/, 63, "lowercase letters, digits, '_' and '-'"),
  },
  deviceName: {
    what: "device name",
    rule: "empty, or a word character then word characters, '.' and '-', at most 255",
    source:
      "the Compute API's own error message (no pattern in the discovery document); not checked by the provider",
    when: "up",
    problem: pattern(/^(|\w[\w.-]*)$/, 255, "a device name"),
  },
  secretId: {
    what: "secret id",
    rule: "1 to 255 characters: letters, digits, '_' and '-'",
    source:
      "Secret Manager API, projects.secrets.create (secretId); cloud.google.com/secret-manager/docs/creating-and-accessing-secrets; not checked by the provider",
    when: "up",
    problem: pattern(/^[A-Za-z0-9_-]+$/, 255, "letters, digits, '_' and '-'"),
  },
  serviceAccountId: {
    what: "service account id",
    rule: "6 to 30 characters, RFC 1035: a lowercase letter, then lowercase letters, digits and '-', not ending in '-'",
    source:
      "terraform-provider-google-beta google_service_account (account_id: 6-30 characters matching [a-z]([-a-z0-9]*[a-z0-9])); IAM API projects.serviceAccounts.create",
    when: "preview",
    problem: (value: string) =>
      value.length < 6
        ? `${value.length} characters, under 6`
        : pattern(GCE_NAME, 30, "an RFC 1035 label")(value),
  },
  /** The startup script is one metadata value. */
  startupScript: {
    what: "startup script",
    rule: "at most 262144 bytes (256 KiB) in UTF-8",
    source:
      "Compute API discovery document, Metadata.items (all metadata together under 512 KB); not checked by the provider",
    when: "up",
    problem: (value: string) => {
      const bytes = Buffer.byteLength(value, "utf8");
      return bytes > 262_144 ? `${bytes} bytes, over 262144` : undefined;
    },
  },
  recordSetName: {
    what: "DNS record name",
    rule: "a DNS name ending in '.', labels of 1 to 63 characters, 253 characters at most",
    source:
      "terraform-provider-google-beta services/dns validateRecordNameTrailingDot; label and name lengths from RFC 1035",
    when: "preview",
    problem: (value: string) => {
      if (!value.endsWith(".")) return "does not end in '.'";
      const name = value.slice(0, -1);
      if (name.length > 253) return `${name.length} characters, over 253`;
      return name.split(".").some((label) => label.length === 0 || label.length > 63)
        ? "has a label that is empty or over 63 characters"
        : undefined;
    },
  },
  firewallPort: {
    what: "firewall port",
    rule: "a port number from 0 to 65535, or a range such as 12345-12349",
    source: "Compute API discovery document, Firewall.allowed[].ports; not checked by the provider",
    when: "up",
    problem: (value: string) =>
      /^\d+(-\d+)?$/.test(value) && value.split("-").every((p) => Number(p) <= 65535)
        ? undefined
        : "not a port or range",
  },
  /** One firewall rule's sourceRanges: all IPv4 here (a rule may not mix IPv4 and IPv6). */
  sourceRange: {
    what: "firewall source range",
    rule: "an IPv4 CIDR such as 203.0.113.0/24",
    source:
      "Compute API discovery document, Firewall.sourceRanges; docs.cloud.google.com/firewall/docs/using-firewalls",
    when: "up",
    problem: (value: string) => {
      const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
      return match !== null && match.slice(1, 5).every((o) => Number(o) <= 255) && Number(match[5]) <= 32
        ? undefined
        : "not an IPv4 CIDR";
    },
  },
} satisfies Record<string, GcpConstraint>;

export type GcpValueKind = keyof typeof GCP_CONSTRAINTS;
