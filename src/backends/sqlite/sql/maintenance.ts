import { attemptsLeftSql } from '../../../core/reclaim-policy.js';
import { reclaimSetSql } from '../../sql/reclaim-set.js';
import { LEASE_CLEARED } from './common.js';

/** The SQL of the maintenance role: the lease reaper and the retention sweeper. */

/**
 * The events a reclaim appends, as JobEventDrafts.lost does: job.lost, and job.failed after it when
 * the row is out of attempts (the same test reclaimSetSql decides the status with).
 */
const RECLAIM_EVENTS = `last_seq = last_seq + CASE WHEN ${attemptsLeftSql({ attempts: 'attempts', maxAttempts: 'max_attempts' })} THEN 1 ELSE 2 END`;

/** Expired leases back to `queued`, or `failed` on the last attempt (core's reclaimOutcome). */
export const RECLAIM = `UPDATE jobs SET ${reclaimSetSql({ now: '@now', error: '@error' })}, ${RECLAIM_EVENTS}, ${LEASE_CLEARED}
       WHERE rowid IN (SELECT rowid FROM jobs INDEXED BY jobs_lease WHERE status = 'running' AND lease_expires_at <= @now
                       ORDER BY lease_expires_at LIMIT @limit)
       RETURNING *`;

/** Their events go with them (the jobs_delete_events trigger, schema migration 5). */
export const PURGE = `DELETE FROM jobs WHERE rowid IN (
         SELECT rowid FROM jobs INDEXED BY jobs_finished WHERE status IN ('succeeded', 'cancelled') AND finished_at < @finishedBefore
         UNION ALL
         SELECT rowid FROM jobs INDEXED BY jobs_finished WHERE status = 'failed' AND finished_at < @failedBefore
         LIMIT @limit)`;
