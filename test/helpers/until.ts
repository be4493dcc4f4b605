import { setTimeout as delay } from 'node:timers/promises';

/**
 * Re-checks a condition in another process (where no event reaches the test) until it holds.
 * Not a sleep for synchronisation: it returns as soon as the condition is true, and fails with the
 * last value after `timeoutMs`.
 */
export async function until<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}
