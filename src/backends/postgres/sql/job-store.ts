import { batchParam, FENCE, LEASE_CLEARED, NOW, notifyCtes, type SchemaSql } from './common.js';
import { appendEventsCte, oneEventPerRow } from './event-log.js';

/**
 * A claim's commit does not wait for the WAL flush (synchronous_commit off for its own transaction:
 * `set_config(…, true)` is transaction-local, so the pooled session keeps its setting for the next
 * statement). A claim lost to a server crash within that window leaves the job waiting again, as an
 * expired lease would; the attempt's completion is then fenced out, and a completion that does
 * commit flushes the WAL up to itself, claim included. Everything a caller is promised stays
 * synchronous: enqueues, completions, failures. At concurrency 1 a claim is the round trip a worker
 * waits on (end to end 1.95k → 2.78k jobs/s, docs/benchmarks.md entry 12).
 *
 * It sits in RETURNING, evaluated per claimed row once the rows are locked and written: in WHERE, a
 * volatile call kept the planner from treating the LIMITed subquery as a semi-join (it claimed more
 * rows than the limit). A claim that takes nothing writes nothing and has no flush to skip.
 */
const RELAXED_COMMIT = "set_config('synchronous_commit', 'off', true) AS relaxed_commit";

/** What every claim form sets: a fresh lease (token minted by the server), a counted attempt, its event's seq. */
const leaseSet = (leaseMsParam: string, workerIdParam: string) =>
  `status = 'running', lease_token = gen_random_uuid()::text, lease_expires_at = ${NOW} + ${leaseMsParam}::bigint,
         attempts = j.attempts + 1, started_at = ${NOW}, updated_at = ${NOW}, worker_id = ${workerIdParam}, progress = NULL,
         event_seq = j.event_seq + 1`;

/** Every claim form: the UPDATE that leases (`update`, returning the rows) logs `job.started` per row. */
const claimWithEvents = (t: SchemaSql, update: string) =>
  `WITH moved AS (${update} RETURNING j.*, ${RELAXED_COMMIT}),
   ${appendEventsCte(
     t,
     oneEventPerRow(
       'moved',
       'job.started',
       'attempts',
       "json_build_object('workerId', worker_id, 'leaseExpiresAt', lease_expires_at)",
     ),
   )}
   SELECT * FROM moved`;

/** The statements of the worker's job-store role (claim, heartbeat, complete, fail, release, progress), for one schema. */
export function jobStoreStatements(t: SchemaSql) {
  // `job.succeeded {output}`; an output left out (SQL NULL) is left out of the data too.
  const completeNotify = (returning: string, selected: string) =>
    `WITH done AS (
       UPDATE ${t.jobs} AS j SET status = 'succeeded', output = l.output::json, finished_at = ${NOW}, updated_at = ${NOW},
         ${LEASE_CLEARED}, event_seq = j.event_seq + 1
       FROM unnest(${batchParam(2, 'text')}, ${batchParam(3, 'text')}, ${batchParam(4, 'text')}) AS l(id, token, output)
       WHERE ${FENCE}
       RETURNING ${returning}),
     ${appendEventsCte(
       t,
       oneEventPerRow(
         'done',
         'job.succeeded',
         'attempts',
         "CASE WHEN output IS NULL THEN '{}'::json ELSE json_build_object('output', output) END",
       ),
     )},
     ${notifyCtes(`'["f",' || to_json(id)::text || ']'`, 'done', '$5', '$6')}
     SELECT ${selected}, note.sent IS NOT NULL AS notified FROM done LEFT JOIN note ON true`;

  return {
    /**
     * Leases up to $4 due jobs in one statement. Per queue (a LATERAL subquery each, so every one
     * is an ordered walk of jobs_claim that stops after $4 rows), then merged in claim order.
     * FOR UPDATE SKIP LOCKED: concurrent claimers pass over rows another claim holds, and a row
     * changed since the snapshot is re-checked, so no job is leased twice. Due `scheduled` jobs
     * (delays, retry backoff) are claimed directly: no separate promotion step.
     * $2 queues, $3 types (NULL: any), $4 limit, $5 lease ms, $6 worker id, $7 tenant (NULL: any).
     */
    claim: t.named(
      'claim',
      claimWithEvents(
        t,
        `UPDATE ${t.jobs} AS j SET ${leaseSet('$5', '$6')}
       WHERE j.id IN (
         SELECT c.id FROM unnest(${batchParam(2, 'text')}) AS q(name)
         CROSS JOIN LATERAL (
           SELECT x.id, x.priority, x.run_at FROM ${t.jobs} x
           WHERE x.queue = q.name AND x.status IN ('queued', 'scheduled') AND x.run_at <= ${NOW}
             AND ($3::text[] IS NULL OR x.type = ANY($3::text[]))
             AND ($7::text IS NULL OR x.tenant = $7::text)
           ORDER BY x.priority DESC, x.run_at, x.id
           LIMIT $4
           FOR UPDATE SKIP LOCKED
         ) c
         WHERE NOT EXISTS (SELECT 1 FROM ${t.queues} p WHERE p.name = q.name AND p.paused)
         ORDER BY c.priority DESC, c.run_at, c.id
         LIMIT $4)`,
      ),
    ),
    /**
     * The same claim for one queue (the usual worker): a plain ordered walk of jobs_claim, without
     * the per-queue LATERAL, the merge sort and the de-duplication the general form needs.
     * $2 queue, $3 types (NULL: any), $4 limit, $5 lease ms, $6 worker id, $7 tenant (NULL: any).
     */
    claimOneQueue: t.named(
      'claim_one_queue',
      claimWithEvents(
        t,
        `UPDATE ${t.jobs} AS j SET ${leaseSet('$5', '$6')}
       WHERE j.id IN (
         SELECT x.id FROM ${t.jobs} x
         WHERE x.queue = $2::text AND x.status IN ('queued', 'scheduled') AND x.run_at <= ${NOW}
           AND ($3::text[] IS NULL OR x.type = ANY($3::text[]))
           AND ($7::text IS NULL OR x.tenant = $7::text)
           AND NOT EXISTS (SELECT 1 FROM ${t.queues} p WHERE p.name = $2::text AND p.paused)
         ORDER BY x.priority DESC, x.run_at, x.id
         LIMIT $4
         FOR UPDATE SKIP LOCKED)`,
      ),
    ),
    /**
     * Leases exactly the listed jobs that are claimable now (a transport delivered their ids).
     * SKIP LOCKED: a row another claim holds is not claimable now anyway.
     * One primary-key probe per id (LATERAL; a subquery with FOR UPDATE is never flattened): with
     * the conditions beside `id = ANY(…)` the planner could pick the claim index instead and filter
     * every waiting job, whenever its statistics said few were waiting (measured: 8.6 ms for 50 ids
     * at 20k waiting, growing with depth; now a constant 50 index probes).
     * $2 ids, $3 types (NULL: any), $4 lease ms, $5 worker id, $6 tenant (NULL: any).
     */
    claimIds: t.named(
      'claim_ids',
      claimWithEvents(
        t,
        `UPDATE ${t.jobs} AS j SET ${leaseSet('$4', '$5')}
       WHERE j.id IN (
         SELECT c.id FROM unnest(${batchParam(2, 'text')}) AS u(id)
         CROSS JOIN LATERAL (
           SELECT x.id FROM ${t.jobs} x
           WHERE x.id = u.id AND x.status IN ('queued', 'scheduled') AND x.run_at <= ${NOW}
             AND ($3::text[] IS NULL OR x.type = ANY($3::text[]))
             AND ($6::text IS NULL OR x.tenant = $6::text)
             AND NOT EXISTS (SELECT 1 FROM ${t.queues} p WHERE p.name = x.queue AND p.paused)
           FOR UPDATE SKIP LOCKED) c)`,
      ),
    ),
    /** $2 lease ms, $3 ids, $4 tokens. Returns the ids whose lease was extended. */
    heartbeat: t.named(
      'heartbeat',
      `UPDATE ${t.jobs} AS j SET lease_expires_at = ${NOW} + $2::bigint
       FROM unnest(${batchParam(3, 'text')}, ${batchParam(4, 'text')}) AS l(id, token)
       WHERE ${FENCE}
       RETURNING j.id`,
    ),
    /**
     * Completes a batch and announces it: the `job:finished` message (notify-payload wire format,
     * one `["f", id]` per row actually completed) goes out with `pg_notify` in the same statement,
     * as `insertNotify` does, so a completion costs one round trip and one commit, not a second
     * statement for the NOTIFY. A payload over MAX_PAYLOAD_BYTES is not sent (`notified` false: the
     * caller falls back to the notifier). $2 ids, $3 tokens, $4 outputs (JSON text), $5 channel,
     * $6 origin.
     */
    complete: t.named(
      'complete',
      completeNotify('j.id, j.queue, j.tenant, j.attempts, j.output, j.event_seq', 'done.id, done.queue, done.event_seq'),
    ),
    /** Same write, reading the rows back for `job:finished` listeners (skipped when nobody listens). */
    completeReturning: t.named('complete_rows', completeNotify('j.*', 'done.*')),
    /**
     * Retries and final failures in one statement, logged `job.retrying {error, runAt}` or
     * `job.failed {error}`. $2 ids, $3 tokens, $4 retry flags, $5 delays (ms), $6 errors (JSON
     * text). A retry with a delay waits as `scheduled`.
     */
    fail: t.named(
      'fail',
      `WITH moved AS (
         UPDATE ${t.jobs} AS j SET
           status = CASE WHEN NOT l.retry THEN 'failed' WHEN l.delay > 0 THEN 'scheduled' ELSE 'queued' END,
           run_at = CASE WHEN l.retry THEN ${NOW} + l.delay ELSE j.run_at END,
           finished_at = CASE WHEN l.retry THEN j.finished_at ELSE ${NOW} END,
           error = l.error::json, updated_at = ${NOW}, ${LEASE_CLEARED}, event_seq = j.event_seq + 1
         FROM unnest(${batchParam(2, 'text')}, ${batchParam(3, 'text')}, ${batchParam(4, 'bool')}, ${batchParam(5, 'bigint')}, ${batchParam(6, 'text')}) AS l(id, token, retry, delay, error)
         WHERE ${FENCE}
         RETURNING j.*),
       ${appendEventsCte(
         t,
         `SELECT id, event_seq, CASE WHEN status = 'failed' THEN 'job.failed' ELSE 'job.retrying' END, ${NOW}, attempts,
                 CASE WHEN status = 'failed' THEN json_build_object('error', error)
                      ELSE json_build_object('error', error, 'runAt', run_at) END,
                 queue, tenant
          FROM moved`,
       )}
       SELECT * FROM moved`,
    ),
    /**
     * Gives leases back without counting the attempt; runAt unchanged (the job keeps its place).
     * Logged `job.released` with the attempt given back.
     */
    release: t.named(
      'release',
      `WITH moved AS (
         UPDATE ${t.jobs} AS j SET status = 'queued', attempts = j.attempts - 1, updated_at = ${NOW}, ${LEASE_CLEARED},
           event_seq = j.event_seq + 1
         FROM unnest(${batchParam(2, 'text')}, ${batchParam(3, 'text')}) AS l(id, token)
         WHERE ${FENCE}
         RETURNING j.id, j.queue, j.tenant, j.attempts, j.event_seq),
       ${appendEventsCte(t, oneEventPerRow('moved', 'job.released', 'attempts + 1', "'{}'::json"))}
       SELECT id, queue, event_seq FROM moved`,
    ),
    /** Logged `job.progress {progress}`. $2 id, $3 token, $4 progress (JSON text). */
    progress: t.named(
      'progress',
      `WITH moved AS (
         UPDATE ${t.jobs} AS j SET progress = $4::json, updated_at = ${NOW}, event_seq = j.event_seq + 1
         WHERE j.id = $2 AND j.lease_token = $3 AND j.status = 'running'
         RETURNING j.id, j.queue, j.tenant, j.attempts, j.progress, j.event_seq),
       ${appendEventsCte(
         t,
         oneEventPerRow(
           'moved',
           'job.progress',
           'attempts',
           "CASE WHEN progress IS NULL THEN '{}'::json ELSE json_build_object('progress', progress) END",
         ),
       )}
       SELECT id, queue, event_seq FROM moved`,
    ),
  };
}
