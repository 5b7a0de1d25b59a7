/** GET a monitoring endpoint of nats-server and parse its JSON. */
export async function monitor<T = Record<string, unknown>>(monitorUrl: string, endpoint: string): Promise<T> {
  const response = await fetch(`${monitorUrl}/${endpoint}`, { signal: AbortSignal.timeout(5000) });
  return (await response.json()) as T;
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}
