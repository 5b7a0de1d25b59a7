/** Why the server behind `monitorUrl` is not healthy, or undefined when it is. */
export async function healthProblem(monitorUrl: string, serverOnly = false): Promise<string | undefined> {
  // With serverOnly, only this server's own JetStream counts: at start-up the meta leader needs a
  // quorum of servers that may not be running yet.
  const url = `${monitorUrl}/healthz${serverOnly ? "?js-server-only=true" : ""}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (response.ok) return undefined;
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    return body.error ?? `HTTP ${response.status}`;
  } catch (e) {
    // fetch hides the reason (ECONNREFUSED, a timeout) in `cause`.
    const error = e as { message?: string; cause?: { message?: string } };
    return error.cause?.message ?? error.message ?? String(e);
  }
}

/**
 * Waits until every server reports healthy, meaning JetStream has a meta leader and every stream and
 * consumer on it is current; fails with each unhealthy server's reason after `timeoutMs`.
 */
export async function waitHealthy(monitorUrls: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problems = await Promise.all(monitorUrls.map((url) => healthProblem(url)));
    if (problems.every((p) => p === undefined)) return;
    if (Date.now() >= deadline) {
      const lines = monitorUrls.flatMap((url, i) => (problems[i] ? [`  ${url}: ${problems[i]}`] : []));
      throw new Error(`servers not healthy after ${timeoutMs / 1000} s:\n${lines.join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
