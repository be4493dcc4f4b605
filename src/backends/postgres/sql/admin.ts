import type { ListParams, RedriveParams } from '../../../core/backend.js';
import { includes } from '../../../core/listed-job.js';
import { listColumns } from '../../sql/job-row.js';
import { LEASE_CLEARED, NOW, ROW_AND_NOW, type SchemaSql, whereClause } from './common.js';
import { appendEventsCte, oneEventPerRow } from './event-log.js';

/** An unnamed query whose text depends on the call: `$1` is the clock (see NOW), then its arguments. */
export interface BuiltQuery {
  text: string;
  values: unknown[];
}

/** Placeholders for a query's arguments after `$1` = now. */
function argsAfterNow(now: number | null): { values: unknown[]; arg: (value: unknown) => string } {
  const values: unknown[] = [now];
  return { values, arg: (value) => `$${values.push(value)}` };
}

/** The fixed statements of the admin role (get, cancel, pause), for one schema. */
export function adminStatements(t: SchemaSql) {
  return {
    byId: t.named('by_id', `SELECT ${ROW_AND_NOW} FROM ${t.jobs} j WHERE j.id = $2`),
    byIds: t.named('by_ids', `SELECT ${ROW_AND_NOW} FROM ${t.jobs} j WHERE j.id = ANY($2::text[])`),
    /**
     * Cancels a waiting or running job and revokes its lease, reporting what it found: no row (not
     * found), `prev_status` only (already ended, or another tenant's), or the cancelled row.
     * Logged `job.cancelled {from}`, with the attempt when it was running. $2 id, $3 tenant (NULL: any).
     */
    cancel: t.named(
      'cancel',
      `WITH cur AS (SELECT id, status, tenant FROM ${t.jobs} WHERE id = $2 FOR UPDATE),
       upd AS (
         UPDATE ${t.jobs} AS j SET status = 'cancelled', finished_at = ${NOW}, updated_at = ${NOW}, ${LEASE_CLEARED},
           event_seq = j.event_seq + 1
         FROM cur
         WHERE j.id = cur.id AND cur.status IN ('scheduled', 'queued', 'running')
           AND ($3::text IS NULL OR cur.tenant = $3::text)
         RETURNING j.*
       ),
       ${appendEventsCte(
         t,
         `SELECT upd.id, upd.event_seq, 'job.cancelled', ${NOW}, CASE WHEN cur.status = 'running' THEN upd.attempts END,
                 json_build_object('from', cur.status), upd.queue, upd.tenant
          FROM upd JOIN cur ON cur.id = upd.id`,
       )}
       SELECT cur.status AS prev_status, cur.tenant AS prev_tenant, upd.*
       FROM cur LEFT JOIN upd ON true`,
    ),
    /** $2 queue, $3 paused. */
    setPaused: t.named(
      'set_paused',
      `INSERT INTO ${t.queues} (name, paused, updated_at) VALUES ($2, $3, ${NOW})
       ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at`,
    ),
  };
}

/** What readOutput reads: no other column, and the output as its stored text. $2 id. */
export function readOutputQuery(t: SchemaSql, now: number | null, id: string): BuiltQuery {
  return {
    text: `SELECT status, run_at, tenant, output::text AS output, ${NOW} AS sluice_now FROM ${t.jobs} WHERE id = $2`,
    values: [now, id],
  };
}

export type OutputRow = { status: string; run_at: number; tenant: string | null; output: string | null; sluice_now: number };

/** A page of jobs, newest first, over the filters given; reads one row more than the page, to see if more follow. */
export function listQuery(t: SchemaSql, now: number | null, params: ListParams): BuiltQuery {
  const { values, arg } = argsAfterNow(now);
  const where: string[] = [];
  if (params.queue !== undefined) where.push(`j.queue = ${arg(params.queue)}`);
  if (params.type !== undefined) where.push(`j.type = ${arg(params.type)}`);
  if (params.tenant !== undefined) where.push(`j.tenant = ${arg(params.tenant)}`);
  if (params.status !== undefined) {
    // Statuses as readers see them: due scheduled jobs are queued (see effectiveStatus).
    if (params.status === 'queued') where.push(`(j.status = 'queued' OR (j.status = 'scheduled' AND j.run_at <= ${NOW}))`);
    else if (params.status === 'scheduled') where.push(`j.status = 'scheduled' AND j.run_at > ${NOW}`);
    else where.push(`j.status = ${arg(params.status)}`);
  }
  if (params.cursor !== undefined) where.push(`j.id < ${arg(params.cursor)}`);
  const limit = Math.max(0, params.limit);
  // json stores the text as given, so its octet_length is the size of what a full read would send.
  const columns = listColumns(
    { input: includes(params.include, 'input'), output: includes(params.include, 'output') },
    (column) => `octet_length(${column}::text)`,
    'j.',
  );
  const text = `SELECT ${columns}, ${NOW} AS sluice_now FROM ${t.jobs} j ${whereClause(where)}
      ORDER BY j.id DESC LIMIT ${arg(limit + 1)}`;
  return { text, values };
}

/**
 * Failed jobs back to `queued` with a fresh start, over the filters given, each logged
 * `job.redriven {runAt}`. The new maxAttempts / timeoutMs, when given, replace what made the jobs fail.
 */
export function redriveQuery(t: SchemaSql, now: number | null, params: RedriveParams): BuiltQuery {
  const { values, arg } = argsAfterNow(now);
  const where = ["x.status = 'failed'"];
  if (params.queue !== undefined) where.push(`x.queue = ${arg(params.queue)}`);
  if (params.type !== undefined) where.push(`x.type = ${arg(params.type)}`);
  if (params.tenant !== undefined) where.push(`x.tenant = ${arg(params.tenant)}`);
  if (params.ids !== undefined) where.push(`x.id = ANY(${arg(params.ids)}::text[])`);
  const text = `WITH moved AS (
      UPDATE ${t.jobs} AS j SET status = 'queued', attempts = 0, error = NULL, output = NULL, progress = NULL,
        run_at = ${NOW}, started_at = NULL, finished_at = NULL, worker_id = NULL, updated_at = ${NOW},
        max_attempts = coalesce(${arg(params.maxAttempts ?? null)}::int, j.max_attempts),
        timeout_ms = coalesce(${arg(params.timeoutMs ?? null)}::bigint, j.timeout_ms),
        event_seq = j.event_seq + 1
      WHERE j.id IN (SELECT x.id FROM ${t.jobs} x ${whereClause(where)} ORDER BY x.id
                     LIMIT ${arg(params.limit ?? null)}::bigint FOR UPDATE SKIP LOCKED)
      RETURNING j.id, j.queue, j.tenant, j.run_at, j.event_seq),
    ${appendEventsCte(t, oneEventPerRow('moved', 'job.redriven', 'NULL::int', "json_build_object('runAt', run_at)"))}
    SELECT id, queue, event_seq FROM moved`;
  return { text, values };
}

/**
 * One statement, one snapshot: counts per (queue, status), shaped as core's StatusCountRow, and
 * the pause flags as rows without a status. Due scheduled jobs (claimed straight from `scheduled`)
 * count as queued.
 */
export function statsQuery(
  t: SchemaSql,
  now: number | null,
  params: { queue?: string | undefined; tenant?: string | undefined },
): BuiltQuery {
  const { values, arg } = argsAfterNow(now);
  const where: string[] = [];
  let flagsWhere = '';
  if (params.queue !== undefined) {
    const q = arg(params.queue);
    where.push(`queue = ${q}`);
    flagsWhere = `WHERE name = ${q}`;
  }
  if (params.tenant !== undefined) where.push(`tenant = ${arg(params.tenant)}`);
  const text = `
      SELECT queue, status, count(*)::int AS count,
             (count(*) FILTER (WHERE status = 'scheduled' AND run_at <= ${NOW}))::int AS due,
             min(run_at) FILTER (WHERE status = 'queued' OR (status = 'scheduled' AND run_at <= ${NOW})) AS "oldestRunAt",
             NULL::boolean AS paused, ${NOW} AS sluice_now
      FROM ${t.jobs} ${whereClause(where)} GROUP BY queue, status
      UNION ALL
      SELECT name, NULL, 0, 0, NULL, paused, ${NOW} FROM ${t.queues} ${flagsWhere}`;
  return { text, values };
}
