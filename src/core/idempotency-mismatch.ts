import { ErrorCodes, SluiceError } from './errors.js';
import type { NewJob } from './new-job.js';

/**
 * What an enqueue does when a job's idempotency key matches a job stored for a different request:
 * `reject` refuses the whole batch, storing none of it (a bulk request is all or none); `report`
 * stores the rest and answers that job with the stored hash (jobs of different callers that share
 * one write, where the facade refuses only the caller at fault).
 */
export type MismatchPolicy = 'reject' | 'report';

/** What an enqueue answers for one job (EnqueueResult's part this check reads; backend.ts imports this file). */
interface KeyOutcome {
  created: boolean;
  requestHash?: string | undefined;
  job: { id: string };
}

/** True when `result` is a key hit on a job stored for another request (a job with no hash matches). */
export function isMismatch(job: NewJob, result: { created: boolean; requestHash?: string | undefined }): boolean {
  return !result.created && result.requestHash !== undefined && result.requestHash !== job.requestHash;
}

/** The field a mismatch is reported on: `jobs.N.idempotencyKey` in a batch of several jobs. */
export function mismatchField(index: number, count: number): string {
  return count > 1 ? `jobs.${index}.idempotencyKey` : 'idempotencyKey';
}

export function idempotencyMismatchError(job: NewJob, existingId: string, field: string): SluiceError {
  return new SluiceError(
    ErrorCodes.idempotencyMismatch,
    `idempotency key "${job.idempotencyKey}" was used for a different request (job ${existingId})`,
    { field },
  );
}

/** Throws for the first mismatched job of the batch; an adapter calls it before its write commits. */
export function rejectMismatches(jobs: readonly NewJob[], results: readonly KeyOutcome[]): void {
  results.forEach((result, i) => {
    const job = jobs[i]!;
    if (isMismatch(job, result)) throw idempotencyMismatchError(job, result.job.id, mismatchField(i, jobs.length));
  });
}
