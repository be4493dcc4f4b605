import type { BackoffPolicy } from '../core/job.js';
import { LIMITS } from '../core/job-spec.js';

/** One wait between attempts is at most this long. */
export const DELIVERY_MAX_DELAY_MS = 3_600_000;

/** Exponential backoff from `firstDelayMs`, doubling up to DELIVERY_MAX_DELAY_MS, full jitter. */
export function deliveryBackoff(firstDelayMs: number): BackoffPolicy {
  return {
    type: 'exponential',
    delayMs: firstDelayMs,
    maxDelayMs: Math.max(firstDelayMs, DELIVERY_MAX_DELAY_MS),
    jitter: 'full',
  };
}

/**
 * Attempts of one delivery so that the waits' caps add up to at least `retryForMs`: with jitter
 * the real waits are shorter, and the handler stops retrying once the delivery is `retryForMs`
 * old, so a day of retries means at most a day.
 */
export function deliveryAttempts(retryForMs: number, firstDelayMs: number): number {
  const backoff = deliveryBackoff(firstDelayMs);
  let attempts = 1;
  let total = 0;
  let delay = backoff.delayMs;
  while (total < retryForMs && attempts < LIMITS.maxAttempts) {
    total += delay;
    delay = Math.min(delay * 2, backoff.maxDelayMs);
    attempts++;
  }
  return attempts;
}
