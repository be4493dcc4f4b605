import { attemptsLeftSql } from '../../../core/reclaim-policy.js';
import { reclaimSetSql } from '../../sql/reclaim-set.js';
import { LEASE_CLEARED, NOW, type SchemaSql } from './common.js';
import { appendEventsCte } from './event-log.js';

/** The statements of the maintenance role (lease reaper, retention sweeper), for one schema. */
export function maintenanceStatements(t: SchemaSql) {
  const left = attemptsLeftSql({ attempts: 'j.attempts', maxAttempts: 'j.max_attempts' });
  /** Finished long enough ago to go: $2 finished age ms, $3 failed age ms. */
  const expired = (c: string) =>
    `((${c}status IN ('succeeded', 'cancelled') AND ${c}finished_at < ${NOW} - $2::bigint)
      OR (${c}status = 'failed' AND ${c}finished_at < ${NOW} - $3::bigint))`;
  return {
    /**
     * Expired leases back to `queued`, or `failed` on the last attempt (core's reclaimOutcome),
     * logged `job.lost {error, status}`, and on the last attempt `job.failed {error}` after it (two
     * events: event_seq + 2). $2 limit (NULL: all), $3 error (LEASE_EXPIRED_ERROR_JSON).
     */
    reclaim: t.named(
      'reclaim',
      `WITH moved AS (
         UPDATE ${t.jobs} AS j SET ${reclaimSetSql({ column: 'j.', now: NOW, error: '$3::json' })}, ${LEASE_CLEARED},
           event_seq = j.event_seq + CASE WHEN ${left} THEN 1 ELSE 2 END
         WHERE j.id IN (SELECT x.id FROM ${t.jobs} x WHERE x.status = 'running' AND x.lease_expires_at <= ${NOW}
                        ORDER BY x.lease_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING j.*),
       ${appendEventsCte(
         t,
         `SELECT m.id, m.event_seq - e.back, e.type, ${NOW}, m.attempts, e.data, m.queue, m.tenant
          FROM moved m CROSS JOIN LATERAL (VALUES
            (CASE WHEN m.status = 'failed' THEN 1 ELSE 0 END, 'job.lost', json_build_object('error', m.error, 'status', m.status)),
            (0, 'job.failed', json_build_object('error', m.error))
          ) AS e(back, type, data)
          WHERE e.type = 'job.lost' OR m.status = 'failed'`,
       )}
       SELECT * FROM moved`,
    ),
    /**
     * Deletes finished jobs and their events in one statement. The events go by the deleted ids
     * (cheaper than a foreign key, whose triggers would check every event appended on the hot path
     * and delete row by row). The outer condition is checked again on a row a concurrent write
     * changed (a redrive): such a job stays, and so do its events, including those that write just
     * appended, which this statement's snapshot could not see. $2 finished age ms, $3 failed age
     * ms, $4 limit (NULL: all). Returns the count of jobs deleted.
     */
    purge: t.named(
      'purge',
      `WITH gone AS (
         DELETE FROM ${t.jobs} j WHERE j.id IN (
           SELECT id FROM (
             SELECT id FROM ${t.jobs} WHERE status IN ('succeeded', 'cancelled') AND finished_at < ${NOW} - $2::bigint
             UNION ALL
             SELECT id FROM ${t.jobs} WHERE status = 'failed' AND finished_at < ${NOW} - $3::bigint
           ) old LIMIT $4)
         AND ${expired('j.')}
         RETURNING j.id),
       events_gone AS (DELETE FROM ${t.jobEvents} e USING gone WHERE e.job_id = gone.id)
       SELECT count(*)::int AS deleted FROM gone`,
    ),
  };
}
