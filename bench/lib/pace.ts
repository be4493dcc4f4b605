import { now, sleep } from './time.js';

/**
 * Offers `total` calls at a steady `rate` per second, open loop: each call starts on schedule
 * whether or not the earlier ones have answered (a slow answer does not lower the load, as it would
 * with one caller waiting on each). Resolves once every call has; rejects with the first failure.
 */
export async function offerAtRate(rate: number, total: number, call: (i: number) => Promise<unknown>): Promise<void> {
  const calls: Promise<unknown>[] = [];
  let failure: unknown;
  const started = now();
  let sent = 0;
  while (sent < total && failure === undefined) {
    const due = Math.min(total, Math.floor(((now() - started) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      calls.push(
        call(sent).catch((error: unknown) => {
          failure ??= error;
        }),
      );
    }
    await sleep(1);
  }
  await Promise.all(calls);
  if (failure !== undefined) throw failure;
}
