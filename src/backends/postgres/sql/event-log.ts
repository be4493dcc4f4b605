import { NOW, type SchemaSql } from './common.js';

/**
 * The event log's SQL (ports/event-log.ts; DESIGN.md invariant 8).
 *
 * Writes: every write statement of the adapter appends its events itself, with a data-modifying
 * CTE (`appendEventsCte`) over the rows it changed (its RETURNING), so a change and its events
 * commit together, in the same one statement and round trip. The UPDATE that makes a change also
 * adds the number of its events to the row's `event_seq`, which is then the seq of the job's
 * newest event: the row lock the UPDATE holds is what keeps a job's seqs gap-free and in order.
 *
 * The feed orders events by (xid, pos): the writing transaction's id (xid8: 64 bits, never wraps)
 * and the identity taken at insert. A reader only returns events of transactions older than its
 * snapshot's xmin (every one of them has ended, so nothing can still appear below it); a plain
 * `pos > cursor` would skip a transaction that took its pos first and committed after a later one.
 */

/** The columns every appended event fills, in the order the CTE's SELECT gives them. */
const EVENT_COLUMNS = '(job_id, seq, type, at, attempt, data, queue, tenant)';

/**
 * `ev AS (INSERT INTO job_events … <select>)`: appends the events `select` yields, one row each, with
 * the columns of EVENT_COLUMNS in order. The rows are numbered (pos) in the order `select` gives them.
 */
export function appendEventsCte(t: SchemaSql, select: string): string {
  return `ev AS (INSERT INTO ${t.jobEvents} ${EVENT_COLUMNS} ${select})`;
}

/**
 * One event per changed row of `from` (a CTE returning the row's id, event_seq, queue and tenant),
 * at the row's newest seq and the statement's now.
 */
export function oneEventPerRow(from: string, type: string, attempt: string, data: string): string {
  return `SELECT id, event_seq, '${type}', ${NOW}, ${attempt}, ${data}, queue, tenant FROM ${from}`;
}

/** The statements of the event log role (jobEvents, feed, appendOutput), for one schema. */
export function eventLogStatements(t: SchemaSql) {
  return {
    /**
     * A job's events after a seq: one row with NULL event columns when the job has none there, no
     * row when the job is unknown or another tenant's. No clock: $1 id, $2 after seq, $3 limit,
     * $4 tenant (NULL: any).
     */
    jobEvents: t.named(
      'job_events',
      `SELECT e.seq, e.type, e.at, e.attempt, e.data, e.queue, e.tenant
       FROM ${t.jobs} j
       LEFT JOIN LATERAL (
         SELECT x.seq, x.type, x.at, x.attempt, x.data, x.queue, x.tenant FROM ${t.jobEvents} x
         WHERE x.job_id = j.id AND x.seq > $2::bigint ORDER BY x.seq LIMIT $3::int
       ) e ON true
       WHERE j.id = $1::text AND ($4::text IS NULL OR j.tenant = $4::text)
       ORDER BY e.seq`,
    ),
    /**
     * One page of the feed after the cursor ($1 xid, $2 pos): the events of ended transactions
     * (xid below the snapshot's xmin, the horizon), in (xid, pos) order, of the first $3 after the
     * cursor the first $4 that pass the filters ($5 tenant, $6 queue, $7 types; NULL: any). The
     * walk of job_events_feed stops at the $4th match, and reads keys only: data is fetched for the
     * matched events. Every row carries the page's facts; when the page is short of $4 they are also
     * `bound_xid`/`bound_pos`, the $3rd event after the cursor (the scan stopped there; NULL: it
     * reached the horizon), and `held`: whether committed events after the cursor wait beyond the
     * horizon (an older transaction is still open). No matching event: one row of facts alone.
     */
    feed: t.named(
      'feed',
      `WITH horizon AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS h),
       matched AS MATERIALIZED (
         SELECT s.xid, s.pos, s.job_id, s.seq FROM (
           SELECT e.xid, e.pos, e.job_id, e.seq, e.type, e.queue, e.tenant FROM ${t.jobEvents} e
           WHERE (e.xid, e.pos) > ($1::xid8, $2::bigint) AND e.xid < (SELECT h FROM horizon)
           ORDER BY e.xid, e.pos LIMIT $3::int
         ) s
         WHERE ($5::text IS NULL OR s.tenant = $5::text) AND ($6::text IS NULL OR s.queue = $6::text)
           AND ($7::text[] IS NULL OR s.type = ANY($7::text[]))
         LIMIT $4::int
       ),
       short AS MATERIALIZED (SELECT count(*) < $4::int AS short FROM matched),
       bound AS MATERIALIZED (
         SELECT e.xid, e.pos FROM ${t.jobEvents} e
         WHERE (SELECT short FROM short) AND (e.xid, e.pos) > ($1::xid8, $2::bigint) AND e.xid < (SELECT h FROM horizon)
         ORDER BY e.xid, e.pos OFFSET $3::int - 1 LIMIT 1
       ),
       facts AS MATERIALIZED (
         SELECT (SELECT h FROM horizon)::text AS horizon, (SELECT xid FROM bound)::text AS bound_xid,
                (SELECT pos FROM bound) AS bound_pos,
                (SELECT short FROM short) AND (
                  SELECT x.pos FROM ${t.jobEvents} x
                  WHERE x.xid >= (SELECT h FROM horizon) AND (x.xid, x.pos) > ($1::xid8, $2::bigint)
                  ORDER BY x.xid, x.pos LIMIT 1
                ) IS NOT NULL AS held
       )
       SELECT f.horizon, f.bound_xid, f.bound_pos, f.held,
              m.xid::text AS xid, m.pos, e.job_id, e.seq, e.type, e.at, e.attempt, e.data, e.queue, e.tenant
       FROM facts f
       LEFT JOIN matched m ON true
       LEFT JOIN ${t.jobEvents} e ON e.job_id = m.job_id AND e.seq = m.seq
       ORDER BY m.xid, m.pos`,
    ),
    /** The feed's current end: the horizon. No clock, no arguments. */
    feedEnd: t.named('feed_end', 'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon'),
    /**
     * One `job.output.delta` of the running attempt, fenced by the lease token: no row when the
     * token is not current. $2 id, $3 token, $4 chunks (a JSON array).
     */
    appendOutput: t.named(
      'append_output',
      `WITH moved AS (
         UPDATE ${t.jobs} AS j SET event_seq = j.event_seq + 1, updated_at = ${NOW}
         WHERE j.id = $2 AND j.lease_token = $3 AND j.status = 'running'
         RETURNING j.id, j.event_seq, j.attempts, j.queue, j.tenant
       )
       INSERT INTO ${t.jobEvents} ${EVENT_COLUMNS}
       ${oneEventPerRow('moved', 'job.output.delta', 'attempts', "json_build_object('chunks', $4::json)")}
       RETURNING seq, type, at, attempt, data, queue, tenant`,
    ),
  };
}
