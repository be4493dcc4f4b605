import type { BackoffPolicy } from './job.js';

/*
 * Every enqueue stores its job's backoff policy as JSON text, and nearly every job carries the same
 * (default) policy: serialising the same four fields again for each job of a bulk call was a visible
 * part of an enqueue's client CPU. The last policy serialised and its text are kept.
 */
let lastBackoff: BackoffPolicy | undefined;
let lastBackoffText = '';

/** JSON text of a backoff policy (for a policy equal to the last one, the text serialised then). */
export function backoffText(backoff: BackoffPolicy): string {
  const last = lastBackoff;
  if (
    last === undefined ||
    last.type !== backoff.type ||
    last.delayMs !== backoff.delayMs ||
    last.maxDelayMs !== backoff.maxDelayMs ||
    last.jitter !== backoff.jitter ||
    Object.keys(backoff).length !== 4
  ) {
    lastBackoffText = JSON.stringify(backoff);
    lastBackoff = { ...backoff };
  }
  return lastBackoffText;
}
