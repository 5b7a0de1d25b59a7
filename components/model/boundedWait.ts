/*
 * Waiting for a condition with a bound: the one loop behind every gate that waits for servers.
 * Timers only, no I/O of its own: dynamic providers serialize it with their code.
 */

/**
 * Asks `why` (the reason the condition does not hold yet, or undefined once it does) every
 * `intervalMs` until it holds or `timeoutMs` has passed. Returns undefined when it held, else the
 * last reason given.
 */
export async function waitUntil(
  why: () => Promise<string | undefined>,
  { timeoutMs, intervalMs }: { timeoutMs: number; intervalMs: number },
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = await why();
    if (reason === undefined || Date.now() >= deadline) return reason;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
