import { reclaimSetSql } from '../../sql/reclaim-set.js';
import { LEASE_CLEARED } from './common.js';

/** The SQL of the maintenance role: the lease reaper and the retention sweeper. */

/** Expired leases back to `queued`, or `failed` on the last attempt (core's reclaimOutcome). */
export const RECLAIM = `UPDATE jobs SET ${reclaimSetSql({ now: '@now', error: '@error' })}, ${LEASE_CLEARED}
       WHERE rowid IN (SELECT rowid FROM jobs INDEXED BY jobs_lease WHERE status = 'running' AND lease_expires_at <= @now
                       ORDER BY lease_expires_at LIMIT @limit)
       RETURNING *`;

export const PURGE = `DELETE FROM jobs WHERE rowid IN (
         SELECT rowid FROM jobs INDEXED BY jobs_finished WHERE status IN ('succeeded', 'cancelled') AND finished_at < @finishedBefore
         UNION ALL
         SELECT rowid FROM jobs INDEXED BY jobs_finished WHERE status = 'failed' AND finished_at < @failedBefore
         LIMIT @limit)`;
