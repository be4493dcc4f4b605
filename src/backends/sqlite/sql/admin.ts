import type { ListParams, RedriveParams } from '../../../core/backend.js';
import { includes } from '../../../core/listed-job.js';
import { listColumns } from '../../sql/job-row.js';
import { equalityFilters } from '../equality-filters.js';
import { LEASE_CLEARED, NO_LIMIT, ONE_EVENT, whereClause } from './common.js';

/** The SQL of the admin role: get, list, cancel, pause, redrive, stats. */

export const BY_ID = 'SELECT * FROM jobs WHERE id = ?';

/** What readOutput reads: no other column, and the output as its stored text. */
export const OUTPUT = 'SELECT status, run_at, tenant, output FROM jobs WHERE id = @id';
export type OutputRow = { status: string; run_at: number; tenant: string | null; output: string | null };

export const CANCEL = `UPDATE jobs SET status = 'cancelled', finished_at = @now, updated_at = @now, ${ONE_EVENT}, ${LEASE_CLEARED}
       WHERE id = @id AND status IN ('scheduled', 'queued', 'running')
       RETURNING *`;

export const SET_PAUSED = `INSERT INTO queues (name, paused, updated_at) VALUES (@queue, @paused, @now)
       ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at`;

/** A page of jobs, newest first, over the filters given (`limit` is one more than the page, to see if more follow). */
export function listSql(params: ListParams, now: number): { sql: string; args: Record<string, unknown> } {
  const { where, args } = equalityFilters({ queue: params.queue, type: params.type, tenant: params.tenant });
  args.limit = Math.max(0, params.limit) + 1;
  if (params.status !== undefined) {
    // Statuses as readers see them: due scheduled jobs are queued (see effectiveStatus).
    if (params.status === 'queued') {
      where.push("(status = 'queued' OR (status = 'scheduled' AND run_at <= @now))");
      args.now = now;
    } else if (params.status === 'scheduled') {
      where.push("status = 'scheduled' AND run_at > @now");
      args.now = now;
    } else {
      where.push('status = @status');
      args.status = params.status;
    }
  }
  if (params.cursor !== undefined) {
    where.push('id < @cursor');
    args.cursor = params.cursor;
  }
  const columns = listColumns(
    { input: includes(params.include, 'input'), output: includes(params.include, 'output') },
    (column) => `octet_length(${column})`,
  );
  return { sql: `SELECT ${columns} FROM jobs ${whereClause(where)} ORDER BY id DESC LIMIT @limit`, args };
}

/**
 * Failed jobs back to `queued` with a fresh start, over the filters given (`@now` is the caller's
 * to bind). The new maxAttempts / timeoutMs, when given, replace what made the jobs fail.
 * Undefined for an empty id list: nothing to redrive.
 */
export function redriveSql(params: RedriveParams): { sql: string; args: Record<string, unknown> } | undefined {
  const { where, args } = equalityFilters({ queue: params.queue, type: params.type, tenant: params.tenant });
  where.unshift("status = 'failed'");
  args.limit = params.limit ?? NO_LIMIT;
  if (params.ids !== undefined) {
    if (params.ids.length === 0) return undefined;
    where.push('id IN (SELECT value FROM json_each(@ids))');
    args.ids = JSON.stringify(params.ids);
  }
  args.maxAttempts = params.maxAttempts ?? null;
  args.timeoutMs = params.timeoutMs ?? null;
  const sql = `UPDATE jobs SET status = 'queued', attempts = 0, error = NULL, output = NULL, progress = NULL,
        run_at = @now, started_at = NULL, finished_at = NULL, worker_id = NULL, updated_at = @now, ${ONE_EVENT},
        max_attempts = coalesce(@maxAttempts, max_attempts), timeout_ms = coalesce(@timeoutMs, timeout_ms)
      WHERE rowid IN (SELECT rowid FROM jobs ${whereClause(where)} ORDER BY id LIMIT @limit)
      RETURNING id, queue, tenant, last_seq`;
  return { sql, args };
}

/**
 * The stats queries, rows shaped as core's StatusCountRow. One query per state index (each job is
 * in exactly one): no index over every job is needed, so transitions stay cheap. `scheduled` also
 * counts the due ones (promoted lazily by claims, they count as queued) and binds `@now`.
 */
export function statsSql(params: { queue?: string | undefined; tenant?: string | undefined }): {
  counts: { queued: string; scheduled: string; running: string; finished: string };
  flags: string;
  args: Record<string, unknown>;
} {
  const { where, args } = equalityFilters({ queue: params.queue, tenant: params.tenant });
  const filter = (state: string) => whereClause([state, ...where]);
  return {
    counts: {
      queued: `SELECT queue, 'queued' AS status, count(*) AS count, min(run_at) AS oldestRunAt
      FROM jobs INDEXED BY jobs_claim ${filter("status = 'queued'")} GROUP BY queue`,
      scheduled: `SELECT queue, 'scheduled' AS status, count(*) AS count, sum(run_at <= @now) AS due,
      min(run_at) AS oldestRunAt FROM jobs INDEXED BY jobs_scheduled ${filter("status = 'scheduled'")} GROUP BY queue`,
      running: `SELECT queue, 'running' AS status, count(*) AS count FROM jobs INDEXED BY jobs_lease
      ${filter("status = 'running'")} GROUP BY queue`,
      finished: `SELECT queue, status, count(*) AS count FROM jobs INDEXED BY jobs_finished
      ${filter('finished_at IS NOT NULL')} GROUP BY queue, status`,
    },
    flags: `SELECT name AS queue, paused FROM queues ${params.queue === undefined ? '' : 'WHERE name = @queue'}`,
    args,
  };
}
