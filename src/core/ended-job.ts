import type { ClaimedJob, Job, JobError } from './job.js';

/** How a worker's settlement of an attempt ended, as the backend took it. */
export type AttemptEnding =
  | { outcome: 'succeeded'; output: unknown }
  | { outcome: 'retry'; error: JobError; delayMs: number }
  | { outcome: 'failed'; error: JobError };

/**
 * The job as a settlement leaves it in the store, built from what the worker knows rather than read
 * back: the lease is gone, and the status, output or error, and times are those the write set.
 * A retry waits `scheduled` (or `queued` at once when its delay is 0), as the backends store it.
 * Times are the worker's clock at the write; a server backend stamps its own, which may differ by
 * the skew between the two clocks.
 */
export function endedJob(job: ClaimedJob, ending: AttemptEnding, now: number): Job {
  const { leaseToken: _token, leaseExpiresAt: _expires, workerId: _worker, ...rest } = job;
  switch (ending.outcome) {
    case 'succeeded':
      return { ...rest, status: 'succeeded', output: ending.output, finishedAt: now, updatedAt: now };
    case 'failed':
      return { ...rest, status: 'failed', error: ending.error, finishedAt: now, updatedAt: now };
    case 'retry':
      return {
        ...rest,
        status: ending.delayMs > 0 ? 'scheduled' : 'queued',
        error: ending.error,
        runAt: now + ending.delayMs,
        updatedAt: now,
      };
  }
}
