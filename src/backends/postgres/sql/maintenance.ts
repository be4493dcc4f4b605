import { reclaimSetSql } from '../../sql/reclaim-set.js';
import { LEASE_CLEARED, NOW, type SchemaSql } from './common.js';

/** The statements of the maintenance role (lease reaper, retention sweeper), for one schema. */
export function maintenanceStatements(t: SchemaSql) {
  return {
    /** Expired leases back to `queued`, or `failed` on the last attempt (core's reclaimOutcome). $2 limit
     * (NULL: all), $3 error (LEASE_EXPIRED_ERROR_JSON). */
    reclaim: t.named(
      'reclaim',
      `UPDATE ${t.jobs} AS j SET ${reclaimSetSql({ column: 'j.', now: NOW, error: '$3::json' })}, ${LEASE_CLEARED}
       WHERE j.id IN (SELECT x.id FROM ${t.jobs} x WHERE x.status = 'running' AND x.lease_expires_at <= ${NOW}
                      ORDER BY x.lease_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING j.*`,
    ),
    /** $2 finished age ms, $3 failed age ms, $4 limit (NULL: all). */
    purge: t.named(
      'purge',
      `DELETE FROM ${t.jobs} WHERE id IN (
         SELECT id FROM (
           SELECT id FROM ${t.jobs} WHERE status IN ('succeeded', 'cancelled') AND finished_at < ${NOW} - $2::bigint
           UNION ALL
           SELECT id FROM ${t.jobs} WHERE status = 'failed' AND finished_at < ${NOW} - $3::bigint
         ) old LIMIT $4)`,
    ),
  };
}
