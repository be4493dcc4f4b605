/** SQL pieces every group of the SQLite statements shares. */

/** Every attempt-scoped write matches on the current lease token: a stale attempt matches no row. */
export const FENCE = `WHERE id = @id AND lease_token = @leaseToken AND status = 'running'`;

export const LEASE_CLEARED = 'lease_token = NULL, lease_expires_at = NULL';

/** A write that appends one event numbers it in its own UPDATE: the job's newest seq goes up by one. */
export const ONE_EVENT = 'last_seq = last_seq + 1';

/** What a write that appends events reads back to store them (see EventJob, EventJobRow). */
export const EVENT_JOB_RETURNING = 'RETURNING id, queue, tenant, attempts, last_seq';

/** SQLite's "no limit". */
export const NO_LIMIT = -1;

export function whereClause(conditions: string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}

/*
 * Hot statements name their index (INDEXED BY): without statistics the planner may pick a wider
 * index, and a statement that can no longer use its index fails at prepare time instead of
 * silently scanning.
 */
