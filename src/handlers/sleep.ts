import type { HandlerDefinition } from '../worker/handler.js';
import { parseInput, SLEEP_MAX_MS, sleepInputSchema } from './input-schemas.js';

export { SLEEP_MAX_MS };

/** Progress is reported at most this often: each report is a backend write. */
const PROGRESS_MIN_INTERVAL_MS = 1_000;
/** Progress steps over a long sleep (every 10%). */
const PROGRESS_STEPS = 10;

/** Input of the `sleep` handler. */
export interface SleepInput {
  ms: number;
}

/** Output of the `sleep` handler. */
export interface SleepOutput {
  sleptMs: number;
}

/**
 * Waits `ms` milliseconds. Rejects with `signal.reason` as soon as the signal aborts (timeout,
 * cancellation, lost lease, shutdown). `onProgress` gets the percentage done every 10% of a sleep
 * that lasts long enough (never more often than once a second).
 */
export function sleep(ms: number, signal?: AbortSignal, onProgress?: (percent: number) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const step = Math.max(PROGRESS_MIN_INTERVAL_MS, ms / PROGRESS_STEPS);
    let steps = 0;
    const ticker =
      onProgress && ms > step
        ? setInterval(() => {
            steps += 1;
            // The last tick can land together with the end; the result says 100% then.
            if (steps * step < ms) onProgress(Math.round(((steps * step) / ms) * 100));
          }, step)
        : undefined;
    const cleanup = (): void => {
      clearTimeout(timer);
      if (ticker) clearInterval(ticker);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      cleanup();
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The `sleep` handler: `{ms}` -> `{sleptMs}` after waiting; a stand-in for slow I/O-bound work. */
export const sleepHandler: HandlerDefinition<SleepInput, SleepOutput> = {
  handle: async ({ job, signal, progress }) => {
    const { ms } = parseInput(sleepInputSchema, job.input, 'sleep');
    await sleep(ms, signal, (percent) => {
      // A failed report (lease lost) is not this handler's to act on: the worker aborts the
      // signal when the lease goes, which ends the sleep.
      progress(percent).catch(() => {});
    });
    return { sleptMs: ms };
  },
};
