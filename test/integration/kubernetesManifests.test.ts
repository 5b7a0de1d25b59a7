import Ajv, { ValidateFunction } from "ajv";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { configsInSecrets, revealed } from "../support/kubernetesTopology";
import { PREVIEW_TIMEOUT_MS, previewStack, StackPreview } from "../support/stackPreview";
import { kubernetesSchemaDir } from "../support/kubernetesSchemas";
import { expectAcceptedByNatsServer } from "../support/configCheck";

let preview: StackPreview;
let dir: string;
beforeAll(() => {
  preview = previewStack("k8s");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-k8s-"));
}, PREVIEW_TIMEOUT_MS);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("the configs the k8s platform renders", () => {
  it("pass nats-server -t, with real operator JWTs and certificates for the names each server advertises", async () => {
    const configs = configsInSecrets(preview.resources);
    expect(configs.size).toBe(12);
    await expectAcceptedByNatsServer(configs, dir, {
      "/etc/nats-config": "etc",
      "/data": "data",
      "/var/run/nats": "run",
    });
  }, 60_000);
});

/**
 * A validator of one Kubernetes kind, from the OpenAPI v3 document of its API group. Strict as the
 * API server's field validation: a field the schema does not know is an error, not ignored.
 */
function validatorFor(ajv: Ajv, document: string, kind: string): ValidateFunction {
  const spec = JSON.parse(fs.readFileSync(path.join(kubernetesSchemaDir(), document), "utf8")) as {
    components: { schemas: Record<string, Record<string, unknown>> };
  };
  const closed = (schema: unknown): unknown => {
    if (Array.isArray(schema)) return schema.map(closed);
    if (schema === null || typeof schema !== "object") return schema;
    const entries = Object.entries(schema as Record<string, unknown>).map(([k, v]) => [k, closed(v)]);
    const result = Object.fromEntries(entries) as Record<string, unknown>;
    if (result.properties !== undefined && result.additionalProperties === undefined) {
      result.additionalProperties = false;
    }
    return result;
  };
  const id = `k8s-${document}`;
  if (ajv.getSchema(id) === undefined) {
    ajv.addSchema({ $id: id, components: closed(spec.components) } as object, id);
  }
  const name = Object.keys(spec.components.schemas).find(
    (n) => n.endsWith(`.${kind}`) && n.startsWith("io.k8s.api."),
  );
  if (name === undefined) throw new Error(`no schema of ${kind} in ${document}`);
  return ajv.compile({ $ref: `${id}#/components/schemas/${name}` });
}

describe("the Kubernetes objects of the k8s platform", () => {
  const kinds: [string, string, string][] = [
    ["kubernetes:apps/v1:StatefulSet", "apis__apps__v1_openapi.json", "StatefulSet"],
    ["kubernetes:core/v1:Service", "api__v1_openapi.json", "Service"],
    ["kubernetes:core/v1:Secret", "api__v1_openapi.json", "Secret"],
    ["kubernetes:core/v1:Namespace", "api__v1_openapi.json", "Namespace"],
    ["kubernetes:policy/v1:PodDisruptionBudget", "apis__policy__v1_openapi.json", "PodDisruptionBudget"],
  ];
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

  it.each(kinds)("are valid %s objects of Kubernetes v1.34", (type, document, kind) => {
    const validate = validatorFor(ajv, document, kind);
    const objects = preview.resources.filter((r) => r.type === type);
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      // Secrets' values reach the API server as plain strings.
      const manifest = JSON.parse(JSON.stringify(object.inputs, (_, v) => revealed(v)));
      const valid = validate(manifest);
      expect({ name: object.name, errors: valid ? [] : validate.errors }).toEqual({
        name: object.name,
        errors: [],
      });
    }
  });

  it("are refused when a field is misspelled, so the check above can fail", () => {
    const validate = validatorFor(ajv, "apis__apps__v1_openapi.json", "StatefulSet");
    const [sts] = preview.resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet");
    const manifest = JSON.parse(JSON.stringify(sts.inputs));
    manifest.spec.template.spec.containers[0].readinesProbe =
      manifest.spec.template.spec.containers[0].readinessProbe;
    expect(validate(manifest)).toBe(false);
    manifest.spec.template.spec.containers[0].readinesProbe = undefined;
    manifest.spec.replicas = "one";
    expect(validate(JSON.parse(JSON.stringify(manifest)))).toBe(false);
  });
});
