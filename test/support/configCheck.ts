import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createCertificateAuthority, issueServerCertificate } from "../../components/credentials/x509";
import { NatsServerConfig } from "../../components/model/serverConfig";
import { vmConfigsOf } from "./bootScripts";
import { operatorAuth } from "./operatorAuth";
import { tool } from "./tools";

/**
 * Runs `nats-server -t` on each config as a platform renders it, with its directories moved under
 * `dir` (`relocate`: the platform's path prefix → a folder name), a real operator's JWTs in place of
 * the mocks', and certificates for the names the server advertises. Returns each server's verdict.
 */
export async function natsServerVerdicts(
  configs: Map<string, NatsServerConfig>,
  dir: string,
  relocate: Record<string, string>,
): Promise<{ server: string; status: number | null; output: string }[]> {
  const { operator } = operatorAuth();
  const ca = await createCertificateAuthority("config check CA", 3_600_000);
  const verdicts = [];
  for (const [server, rendered] of configs) {
    const root = path.join(dir, server);
    let text = JSON.stringify(rendered);
    for (const [prefix, folder] of Object.entries(relocate)) {
      fs.mkdirSync(path.join(root, folder), { recursive: true });
      text = text.split(`"${prefix}/`).join(`"${root}/${folder}/`);
    }
    const config = JSON.parse(text) as NatsServerConfig;
    const advertised = [rendered.client_advertise, rendered.cluster.advertise, rendered.gateway.advertise]
      .filter((a): a is string => a !== undefined)
      .map((a) => a.split(":")[0]);
    const certificate = await issueServerCertificate(
      ca,
      server,
      { ipAddresses: [], dnsNames: [...new Set(advertised.filter((h) => !/^[\d.]+$/.test(h)))] },
      3_600_000,
    );
    if (config.tls !== undefined) {
      fs.writeFileSync(config.tls.ca_file, ca.certPem);
      fs.writeFileSync(config.tls.cert_file, certificate.certPem);
      fs.writeFileSync(config.tls.key_file, certificate.keyPem);
    }
    const file = path.join(root, "nats.conf");
    fs.writeFileSync(
      file,
      JSON.stringify({
        ...config,
        operator: operator.jwt,
        system_account: operator.systemAccount,
        resolver_preload: operator.preload,
      }),
    );
    const result = spawnSync(tool("nats-server"), ["-t", "-c", file], { encoding: "utf8" });
    verdicts.push({ server, status: result.status, output: `${result.stdout}${result.stderr}` });
  }
  return verdicts;
}

/** Every config passes `nats-server -t` (see natsServerVerdicts); a refusal names its server. */
export async function expectAcceptedByNatsServer(
  configs: Map<string, NatsServerConfig>,
  dir: string,
  relocate: Record<string, string>,
): Promise<void> {
  for (const verdict of await natsServerVerdicts(configs, dir, relocate)) {
    expect(verdict).toEqual({
      server: verdict.server,
      status: 0,
      output: expect.stringContaining("configuration file"),
    });
  }
}

/** The boot scripts of a previewed VM stack write configs that all pass `nats-server -t`. */
export async function expectVmConfigsAccepted(
  resources: { type: string; inputs: Record<string, unknown> }[],
): Promise<void> {
  const configs = vmConfigsOf(resources);
  expect(configs.size).toBe(12);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-global-vmconf-"));
  try {
    await expectAcceptedByNatsServer(configs, dir, { "/etc/nats": "etc", "/var/lib/nats": "data" });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
