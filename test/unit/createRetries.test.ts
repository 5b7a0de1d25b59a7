import { retryableCreate } from "../../components/jetstream/errors";

/** An error as nats.js raises it for a JetStream API error answer. */
const apiError = (code: number) =>
  Object.assign(new Error(`err ${code}`), { name: "JetStreamApiError", code });
/** nats.js wraps err_code 10039 in its own error, the API error as the cause. */
const notEnabled = Object.assign(new Error("jetstream not enabled"), {
  name: "JetStreamNotEnabled",
  cause: apiError(10039),
});

describe("which failed creates are asked again", () => {
  const jwt = retryableCreate({ credentials: "-----BEGIN NATS USER JWT-----..." });
  const password = retryableCreate({});

  it("retries 'JetStream not enabled for account' only for JWT accounts, which servers load when asked", () => {
    expect(jwt(notEnabled)).toBe(true);
    expect(password(notEnabled)).toBe(false);
    expect(retryableCreate({ credentialsFile: "/x.creds" })(notEnabled)).toBe(true);
  });

  it("retries a placement that finds no peers yet, and no meta leader, whatever the account", () => {
    for (const retryable of [jwt, password]) {
      expect(retryable(apiError(10005))).toBe(true);
      expect(retryable(apiError(10008))).toBe(true);
      expect(retryable(apiError(10065))).toBe(false);
    }
  });
});
