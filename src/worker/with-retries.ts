import { type ErrorBackoff, errorBackoffMs } from './error-backoff.js';
import { sleep } from './sleep.js';

export interface RetryOptions {
  /** Further tries after the first one. */
  retries: number;
  backoff: ErrorBackoff;
  /** Told of every failure (for logs and the worker's `error` event). */
  onError: (error: unknown, failures: number) => void;
}

/**
 * Runs `operation`, retrying a failure with a capped backoff. Used for writes that must not be
 * dropped at the first hiccup (a busy database, a reconnecting broker). Rejects with the last error.
 */
export async function withRetries<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let failures = 1; ; failures += 1) {
    try {
      return await operation();
    } catch (error) {
      options.onError(error, failures);
      if (failures > options.retries) throw error;
      await sleep(errorBackoffMs(failures, options.backoff));
    }
  }
}
