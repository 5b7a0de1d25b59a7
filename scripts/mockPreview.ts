/*
 * `npm run preview:mocks [-- <stack>] [--json]`: what `pulumi up` of index.ts would create for a
 * stack, with no cloud and no provider plugin: the program runs under Pulumi's mocks with the
 * stack file's config. Secure config values become placeholders. Shows every resource with the
 * provider it goes through, then counts by type, then the stack outputs (secrets hidden). `--json`
 * prints each resource's inputs and the outputs instead (secrets as { "<secret>": value }), for tests.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

const root = path.resolve(__dirname, "..");
export const SECRET = "<secret>";

/** A resource as the mocks saw it. */
export interface MockedResource {
  type: string;
  name: string;
  provider?: string;
  inputs: Record<string, unknown>;
}

/** What the dynamic providers of this package would return, in the shapes the program reads. */
const PROVIDER_OUTPUTS = {
  publicKey: "MOCK-PUBLIC-KEY",
  seed: "MOCK-SEED",
  jwt: "mock.jwt.value",
  certPem: "MOCK CERTIFICATE",
  keyPem: "MOCK PRIVATE KEY",
  result: "mock-password",
};

/**
 * What a cloud assigns that the program reads: a public address to a static IP resource (from the
 * documentation range), a secret's ARN, an autonamed object's name (and a role's ARN), a service
 * account's email.
 */
function assigned(
  type: string,
  n: number,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, string> {
  const ip = `198.51.${100 + Math.floor(n / 250)}.${1 + (n % 250)}`;
  switch (type) {
    case "aws:ec2/eip:Eip":
      return { publicIp: ip };
    case "gcp:compute/address:Address":
      return { address: ip };
    case "aws:secretsmanager/secret:Secret":
      return { arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-a1b2c3d-AbCdEf` };
    case "aws:iam/role:Role":
      return { name: `${name}-a1b2c3d`, arn: `arn:aws:iam::123456789012:role/${name}-a1b2c3d` };
    case "aws:iam/instanceProfile:InstanceProfile":
    case "gcp:compute/disk:Disk":
    case "gcp:compute/resourcePolicy:ResourcePolicy":
      return { name: `${name}-a1b2c3d` };
    case "gcp:secretmanager/secret:Secret":
      return { id: `projects/mock-project/secrets/${inputs.secretId as string}` };
    case "gcp:serviceaccount/account:Account":
      return { email: `${inputs.accountId as string}@mock-project.iam.gserviceaccount.com` };
    default:
      return {};
  }
}

/** Secrets in the wire form mocks see them, made plain JSON at any depth. */
function revealed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealed);
  if (value === null || typeof value !== "object") return value;
  const wire = value as Record<string, unknown>;
  if (wire[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig)
    return { [SECRET]: revealed(wire.value) };
  return Object.fromEntries(Object.entries(wire).map(([k, v]) => [k, revealed(v)]));
}

/** The stack file's config as the engine hands it to a program: strings, secure values as placeholders. */
function stackConfig(stack: string): { config: Record<string, string>; secretKeys: string[] } {
  const file = path.join(root, "stacks", `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) throw new Error(`no stack file ${path.relative(root, file)}`);
  const values =
    (yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> }).config ?? {};
  const secretKeys = Object.keys(values).filter(
    (key) => (values[key] as { secure?: unknown })?.secure !== undefined,
  );
  const config = Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      secretKeys.includes(key)
        ? `(the secret ${key})`
        : typeof value === "string"
          ? value
          : JSON.stringify(value),
    ]),
  );
  return { config, secretKeys };
}

export async function previewUnderMocks(
  stack: string,
): Promise<{ resources: MockedResource[]; outputs: Record<string, unknown> }> {
  const resources: MockedResource[] = [];
  const { config, secretKeys } = stackConfig(stack);
  pulumi.runtime.setAllConfig(config, secretKeys);
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const given = assigned(
          args.type,
          resources.length,
          args.name,
          args.inputs as Record<string, unknown>,
        );
        resources.push({
          type: args.type,
          name: args.name,
          ...(args.provider !== undefined ? { provider: args.provider.split("::")[3] } : {}),
          inputs: revealed(args.inputs) as Record<string, unknown>,
        });
        return {
          id: given.id ?? `${args.name}-id`,
          state: { ...args.inputs, ...PROVIDER_OUTPUTS, ...given },
        };
      },
      // Data sources (an image lookup) answer with what they were asked and an id.
      call: (args) => ({ ...args.inputs, id: `${args.token.split(":").pop()}-mock-id` }),
    },
    "nats-global",
    stack,
    true,
  );
  const program = require(path.join(root, "index")) as () => Promise<Record<string, unknown>>;
  const exported = await program();
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(exported)) {
    const output = pulumi.output(value) as pulumi.Output<unknown>;
    const plain = await new Promise<unknown>((resolve) => output.apply(resolve));
    // An output's secretness is lost once applied: it is kept beside the value.
    const secret = await (output as unknown as { isSecret: Promise<boolean> }).isSecret;
    outputs[key] = secret ? { [SECRET]: plain } : plain;
  }
  // Every registration is done before the resources are reported.
  await pulumi.runtime.disconnect();
  return { resources, outputs };
}

/** Outputs for a reader: secrets as [secret]. */
const hidden = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (_, v) => (v !== null && typeof v === "object" && SECRET in v ? "[secret]" : v)),
  );

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const stack = args.find((a) => !a.startsWith("--")) ?? "local";
  const { resources, outputs } = await previewUnderMocks(stack);
  if (args.includes("--json")) {
    process.stdout.write(JSON.stringify({ resources, outputs }));
    return;
  }
  console.log(`Previewing stack ${stack} under mocks (nothing is contacted; no provider plugin is needed):`);
  for (const r of resources)
    console.log(`  + ${r.type} ${r.name}${r.provider ? `  (via ${r.provider})` : ""}`);
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  console.log(`Resources: ${resources.length} to create`);
  for (const [type, n] of [...counts].sort((a, b) => b[1] - a[1]))
    console.log(`  ${String(n).padStart(4)} ${type}`);
  console.log("Outputs:");
  console.log(JSON.stringify(hidden(outputs), null, 2).replace(/^/gm, "  "));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
