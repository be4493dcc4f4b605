import { attemptsLeftSql, type ReclaimOutcome } from '../../core/reclaim-policy.js';

const REQUEUED: ReclaimOutcome = 'queued';
const FAILED: ReclaimOutcome = 'failed';

/**
 * The columns a SQL reclaim sets on each expired row, deciding row by row as core's
 * reclaimOutcome does (the decision has to sit in the UPDATE itself, which also checks the lease).
 * `column` qualifies a column name (`j.` on PostgreSQL); `now` and `error` are the statement's
 * expressions for the time and the error's JSON text (LEASE_EXPIRED_ERROR_JSON, bound). Leaves the
 * lease columns to the caller.
 */
export function reclaimSetSql(params: { column?: string; now: string; error: string }): string {
  const c = params.column ?? '';
  const left = attemptsLeftSql({ attempts: `${c}attempts`, maxAttempts: `${c}max_attempts` });
  return `status = CASE WHEN ${left} THEN '${REQUEUED}' ELSE '${FAILED}' END,
         finished_at = CASE WHEN ${left} THEN NULL ELSE ${params.now} END,
         error = ${params.error}, updated_at = ${params.now}`;
}
