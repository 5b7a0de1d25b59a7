/*
 * Whether a platform stack's servers formed their super-cluster: every monitoring URL in its
 * outputs answers /healthz ok (routes, gateways and a JetStream meta leader), over TLS with the
 * stack's CA, names resolved through the tests' DNS.
 */
import * as https from "https";
import { eventually } from "../monitor";
import { Hosts } from "./hosts";
import { TestStack } from "../stackRunner";

/** What a server's /healthz answers (its body), or why it did not. */
export function healthz(monitorUrl: string, ca: string, hosts: Hosts): Promise<string> {
  return monitorGet(monitorUrl, "/healthz", ca, hosts);
}

/** The body of a server's monitoring endpoint `path`, or why it did not answer. */
export function monitorGet(monitorUrl: string, path: string, ca: string, hosts: Hosts): Promise<string> {
  return new Promise((resolve) => {
    const request = https.get(`${monitorUrl}${path}`, { ca, timeout: 3000, lookup: hosts.lookup }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve(body));
    });
    request.on("timeout", () => request.destroy());
    request.on("error", (e) => resolve(e.message));
  });
}

export async function everyServerHealthy(stack: TestStack, hosts: Hosts, timeoutMs: number): Promise<void> {
  const clusters = stack.outputs().clusters as Record<string, { monitorUrls: string[] }>;
  const ca = (stack.outputs(true).credentials as { ca: string }).ca;
  const monitors = Object.values(clusters).flatMap((c) => c.monitorUrls);
  expect(monitors).toHaveLength(12);
  await eventually(
    "every server healthy (routes, gateways and a JetStream meta leader over all 12)",
    async () => {
      const answers = await Promise.all(monitors.map((url) => healthz(url, ca, hosts)));
      return answers.every((a) => a.includes('"ok"')) ? true : undefined;
    },
    timeoutMs,
  );
}
