import { ErrorCodes } from './errors.js';
import type { Job, JobError, JobStatus } from './job.js';

/**
 * What the lease reaper does with a running job whose lease expired. The decision is made here
 * once; adapters apply it. A SQL or Lua write that must decide inside its own atomic statement
 * builds its condition from attemptsLeftSql, and each adapter's test checks its result against
 * reclaimOutcome.
 */
export type ReclaimOutcome = Extract<JobStatus, 'queued' | 'failed'>;

/**
 * The reference decision: the expired attempt counts (its claim already added it), so a job with
 * attempts left waits again (`queued`, keeping its runAt and so its place in the claim order), and
 * one whose last attempt expired ends `failed` (dead-letter).
 */
export function reclaimOutcome(job: Pick<Job, 'attempts' | 'maxAttempts'>): ReclaimOutcome {
  return hasAttemptsLeft(job) ? 'queued' : 'failed';
}

/** True while the job may start another attempt. */
export function hasAttemptsLeft(job: Pick<Job, 'attempts' | 'maxAttempts'>): boolean {
  return job.attempts < job.maxAttempts;
}

/** Which running jobs the reaper takes: those whose lease has run out by `now`. */
export function isLeaseExpired(lease: { expiresAt: number }, now: number): boolean {
  return lease.expiresAt <= now;
}

/** The error a reclaimed job carries, whichever way it went. */
export const LEASE_EXPIRED_ERROR: Readonly<JobError> = Object.freeze({
  code: ErrorCodes.leaseExpired,
  message: 'the lease expired before the attempt finished (worker crashed, stalled or lost contact)',
});

/** LEASE_EXPIRED_ERROR as the stores keep it (JSON text): the parameter a reclaim statement binds. */
export const LEASE_EXPIRED_ERROR_JSON = JSON.stringify(LEASE_EXPIRED_ERROR);

/**
 * hasAttemptsLeft as a SQL condition over the adapter's own column expressions, for a statement
 * that must decide row by row inside its own write (the lease check and the decision in one atomic
 * UPDATE). Core knows no column names: the adapter passes them.
 */
export function attemptsLeftSql(columns: { attempts: string; maxAttempts: string }): string {
  return `${columns.attempts} < ${columns.maxAttempts}`;
}
