import * as pulumi from "@pulumi/pulumi";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/**
 * Pulumi mocks for a test file, in preview mode (nothing is started, so nothing is waited for),
 * recording every resource registered by the current test. `state` adds outputs to every resource.
 */
export function recordingMocks(state: Record<string, unknown> = {}): { registered: Registered[] } {
  const record = { registered: [] as Registered[] };
  beforeAll(() =>
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          record.registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          return { id: `${args.name}-id`, state: { ...args.inputs, ...state } };
        },
        call: (args) => args.inputs,
      },
      "nats-global",
      "unit",
      true,
    ),
  );
  beforeEach(() => (record.registered = []));
  return record;
}

/** Mocks see secret inputs in their wire form: `{ <secret signature>: ..., value }`. */
export function unwrapSecret(value: unknown): unknown {
  const wire = value as Record<string, unknown>;
  return wire[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig ? wire.value : value;
}
