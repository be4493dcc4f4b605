/** Delays between retries of a failing backend call: doubling from `initialMs`, capped at `maxMs`. */
export interface ErrorBackoff {
  initialMs: number;
  maxMs: number;
}

/** The delay after the `failures`-th consecutive failure (1 = the first). */
export function errorBackoffMs(failures: number, backoff: ErrorBackoff): number {
  const exponent = Math.min(Math.max(0, failures - 1), 30);
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** exponent);
}
