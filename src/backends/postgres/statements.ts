import { reclaimSetSql } from '../sql/reclaim-set.js';
import { MAX_PAYLOAD_BYTES } from './notify-payload.js';
import { batchParam, NOW, quoteIdent, schemaTag } from './sql.js';

/** A named (prepared once per connection) statement. */
export interface Statement {
  name: string;
  text: string;
}

/** Columns a reader gets: the row plus the statement's "now", for due-scheduled-reads-as-queued. */
const ROW_AND_NOW = `j.*, ${NOW} AS sluice_now`;

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
const LEASE_CLEARED = 'lease_token = NULL, lease_expires_at = NULL';

/** What every claim form sets: a fresh lease (token minted by the server) and a counted attempt. */
const leaseSet = (leaseMsParam: string, workerIdParam: string) =>
  `status = 'running', lease_token = gen_random_uuid()::text, lease_expires_at = ${NOW} + ${leaseMsParam}::bigint,
         attempts = j.attempts + 1, started_at = ${NOW}, updated_at = ${NOW}, worker_id = ${workerIdParam}, progress = NULL`;

/**
 * The CTEs that send one notify-payload message from inside a write statement: `payload` joins
 * `entry` (a wire event, as JSON text) over the rows of `from`, `note` sends it unless it is over
 * MAX_PAYLOAD_BYTES (the statement reports `note.sent IS NOT NULL AS notified`, and the caller
 * falls back to the notifier). No rows: no message.
 */
const notifyCtes = (entry: string, from: string, channelParam: string, originParam: string) =>
  `payload AS (
       SELECT '{"o":' || to_json(${originParam}::text)::text || ',"v":[' || string_agg(${entry}, ',') || ']}' AS p
       FROM ${from}
     ),
     note AS (SELECT pg_notify(${channelParam}::text, p)::text AS sent FROM payload WHERE octet_length(p) <= ${MAX_PAYLOAD_BYTES})`;

/** Matches the batch item's token against the current lease: a stale attempt matches no row. */
const FENCE = "j.id = l.id AND j.lease_token = l.token AND j.status = 'running'";

/**
 * The fixed statements of the adapter for one schema. Every one takes the clock as `$1` (see NOW)
 * and is one round trip: batches travel as arrays and are joined with `unnest`. Statements whose
 * shape depends on optional filters (list, stats, redrive) are built by the backend.
 */
export function buildStatements(schema: string) {
  const jobs = `${quoteIdent(schema)}.jobs`;
  const queues = `${quoteIdent(schema)}.queues`;
  const tag = schemaTag(schema);
  const named = (name: string, text: string): Statement => ({ name: `sluice_${tag}_${name}`, text });
  /**
   * The batch insert shared by `insert` and `insertNotify` (their RETURNING differs). Columns travel
   * as arrays, except the JSON ones (inputs, backoff policies), which travel as one JSON array each:
   * their text goes in as it is, where a text[] literal would escape every quote of every input
   * (in JS, per element) and the server would unescape it again. The arrays stay bare parameters
   * here (no batchParam): ROWS FROM takes the largest row estimate of its functions, and
   * json_array_elements' fixed 100 hides the batch size from custom plans anyway.
   */
  const INSERT = `WITH batch AS (
         SELECT * FROM ROWS FROM (unnest($2::text[]), unnest($3::text[]), unnest($4::text[]), json_array_elements($5::json),
                                  unnest($6::int[]), unnest($7::int[]), json_array_elements($8::json), unnest($9::bigint[]),
                                  unnest($10::text[]), unnest($11::text[]), unnest($12::text[]), unnest($13::bigint[]),
                                  unnest($14::bigint[]), unnest($15::text[]))
           WITH ORDINALITY AS t(id, queue, type, input, priority, max_attempts, backoff, timeout_ms, idempotency_key,
                                metadata, tenant, run_at, delay_ms, request_hash, ord)
       )
       INSERT INTO ${jobs} AS j (id, queue, type, status, input, priority, max_attempts, backoff, timeout_ms,
                                 idempotency_key, metadata, tenant, created_at, run_at, updated_at, request_hash)
       SELECT b.id, b.queue, b.type, CASE WHEN r.run_at > ${NOW} THEN 'scheduled' ELSE 'queued' END, b.input::json,
              b.priority, b.max_attempts, b.backoff::json, b.timeout_ms, b.idempotency_key, b.metadata::json, b.tenant,
              ${NOW}, r.run_at, ${NOW}, b.request_hash
       FROM batch b CROSS JOIN LATERAL (SELECT coalesce(b.run_at, ${NOW} + b.delay_ms) AS run_at) r
       ORDER BY b.ord
       ON CONFLICT (queue, (coalesce(tenant, '')), idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`;

  const completeNotify = (returning: string) =>
    `WITH done AS (
       UPDATE ${jobs} AS j SET status = 'succeeded', output = l.output::json, finished_at = ${NOW}, updated_at = ${NOW},
         ${LEASE_CLEARED}
       FROM unnest(${batchParam(2, 'text')}, ${batchParam(3, 'text')}, ${batchParam(4, 'text')}) AS l(id, token, output)
       WHERE ${FENCE}
       RETURNING ${returning}),
     ${notifyCtes(`'["f",' || to_json(id)::text || ']'`, 'done', '$5', '$6')}
     SELECT done.*, note.sent IS NOT NULL AS notified FROM done LEFT JOIN note ON true`;

  return {
    jobs,
    queues,
    /**
     * Inserts a batch; idempotency repeats (queue, tenant, key) are skipped by ON CONFLICT and
     * reported by their absence from RETURNING. The status and runAt are decided on the database's
     * "now" when no clock is injected.
     */
    insert: named('insert', `${INSERT} RETURNING j.id, j.status, j.created_at, j.run_at`),
    /**
     * The same insert, announcing itself: one `jobs:enqueued` message (notify-payload wire format,
     * every queue with its count of rows actually inserted) goes out with `pg_notify` in the same
     * statement, so other processes hear of it on its commit and no second round trip (and commit)
     * is spent on the NOTIFY. Nothing inserted (all repeats): no message. A payload over
     * MAX_PAYLOAD_BYTES is not sent; `notified` is then false and the caller falls back to the
     * notifier. $16 channel, $17 origin.
     */
    insertNotify: named(
      'insert_notify',
      `WITH ins AS (${INSERT} RETURNING j.id, j.queue, j.status, j.created_at, j.run_at),
       per_queue AS (SELECT queue, count(*) AS n FROM ins GROUP BY queue),
       ${notifyCtes(`'["e",' || to_json(queue)::text || ',' || n || ']'`, 'per_queue', '$16', '$17')}
       SELECT ins.id, ins.status, ins.created_at, ins.run_at, note.sent IS NOT NULL AS notified
       FROM ins LEFT JOIN note ON true`,
    ),
    /** The jobs holding the given (queue, tenant, key) triples. */
    byIdempotencyKeys: named(
      'by_keys',
      `SELECT ${ROW_AND_NOW} FROM ${jobs} j
       JOIN unnest(${batchParam(2, 'text')}, ${batchParam(3, 'text')}, ${batchParam(4, 'text')}) AS k(queue, tenant, key)
         ON j.queue = k.queue AND coalesce(j.tenant, '') = k.tenant AND j.idempotency_key = k.key
       WHERE j.idempotency_key IS NOT NULL`,
    ),
    byId: named('by_id', `SELECT ${ROW_AND_NOW} FROM ${jobs} j WHERE j.id = $2`),
    byIds: named('by_ids', `SELECT ${ROW_AND_NOW} FROM ${jobs} j WHERE j.id = ANY($2::text[])`),

    /**
     * Leases up to $4 due jobs in one statement. Per queue (a LATERAL subquery each, so every one
     * is an ordered walk of jobs_claim that stops after $4 rows), then merged in claim order.
     * FOR UPDATE SKIP LOCKED: concurrent claimers pass over rows another claim holds, and a row
     * changed since the snapshot is re-checked, so no job is leased twice. Due `scheduled` jobs
     * (delays, retry backoff) are claimed directly: no separate promotion step.
     * $2 queues, $3 types (NULL: any), $4 limit, $5 lease ms, $6 worker id, $7 tenant (NULL: any).
     */
    claim: named(
      'claim',
      `UPDATE ${jobs} AS j SET ${leaseSet('$5', '$6')}
       WHERE j.id IN (
         SELECT c.id FROM unnest(${batchParam(2, 'text')}) AS q(name)
         CROSS JOIN LATERAL (
           SELECT x.id, x.priority, x.run_at FROM ${jobs} x
           WHERE x.queue = q.name AND x.status IN ('queued', 'scheduled') AND x.run_at <= ${NOW}
             AND ($3::text[] IS NULL OR x.type = ANY($3::text[]))
             AND ($7::text IS NULL OR x.tenant = $7::text)
           ORDER BY x.priority DESC, x.run_at, x.id
           LIMIT $4
           FOR UPDATE SKIP LOCKED
         ) c
         WHERE NOT EXISTS (SELECT 1 FROM ${queues} p WHERE p.name = q.name AND p.paused)
         ORDER BY c.priority DESC, c.run_at, c.id
         LIMIT $4)
       RETURNING j.*, ${RELAXED_COMMIT}`,
    ),
    /**
     * The same claim for one queue (the usual worker): a plain ordered walk of jobs_claim, without
     * the per-queue LATERAL, the merge sort and the de-duplication the general form needs.
     * $2 queue, $3 types (NULL: any), $4 limit, $5 lease ms, $6 worker id, $7 tenant (NULL: any).
     */
    claimOneQueue: named(
      'claim_one_queue',
      `UPDATE ${jobs} AS j SET ${leaseSet('$5', '$6')}
       WHERE j.id IN (
         SELECT x.id FROM ${jobs} x
         WHERE x.queue = $2::text AND x.status IN ('queued', 'scheduled') AND x.run_at <= ${NOW}
           AND ($3::text[] IS NULL OR x.type = ANY($3::text[]))
           AND ($7::text IS NULL OR x.tenant = $7::text)
           AND NOT EXISTS (SELECT 1 FROM ${queues} p WHERE p.name = $2::text AND p.paused)
         ORDER BY x.priority DESC, x.run_at, x.id
         LIMIT $4
         FOR UPDATE SKIP LOCKED)
       RETURNING j.*, ${RELAXED_COMMIT}`,
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
    claimIds: named(
      'claim_ids',
      `UPDATE ${jobs} AS j SET ${leaseSet('$4', '$5')}
       WHERE j.id IN (
         SELECT c.id FROM unnest(${batchParam(2, 'text')}) AS u(id)
         CROSS JOIN LATERAL (
           SELECT x.id FROM ${jobs} x
           WHERE x.id = u.id AND x.status IN ('queued', 'scheduled') AND x.run_at <= ${NOW}
             AND ($3::text[] IS NULL OR x.type = ANY($3::text[]))
             AND ($6::text IS NULL OR x.tenant = $6::text)
             AND NOT EXISTS (SELECT 1 FROM ${queues} p WHERE p.name = x.queue AND p.paused)
           FOR UPDATE SKIP LOCKED) c)
       RETURNING j.*, ${RELAXED_COMMIT}`,
    ),
    /** $2 lease ms, $3 ids, $4 tokens. Returns the ids whose lease was extended. */
    heartbeat: named(
      'heartbeat',
      `UPDATE ${jobs} AS j SET lease_expires_at = ${NOW} + $2::bigint
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
    complete: named('complete', completeNotify('j.id')),
    /** Same write, reading the rows back for `job:finished` listeners (skipped when nobody listens). */
    completeReturning: named('complete_rows', completeNotify('j.*')),
    /**
     * Retries and final failures in one statement. $2 ids, $3 tokens, $4 retry flags, $5 delays
     * (ms), $6 errors (JSON text). A retry with a delay waits as `scheduled`.
     */
    fail: named(
      'fail',
      `UPDATE ${jobs} AS j SET
         status = CASE WHEN NOT l.retry THEN 'failed' WHEN l.delay > 0 THEN 'scheduled' ELSE 'queued' END,
         run_at = CASE WHEN l.retry THEN ${NOW} + l.delay ELSE j.run_at END,
         finished_at = CASE WHEN l.retry THEN j.finished_at ELSE ${NOW} END,
         error = l.error::json, updated_at = ${NOW}, ${LEASE_CLEARED}
       FROM unnest(${batchParam(2, 'text')}, ${batchParam(3, 'text')}, ${batchParam(4, 'bool')}, ${batchParam(5, 'bigint')}, ${batchParam(6, 'text')}) AS l(id, token, retry, delay, error)
       WHERE ${FENCE}
       RETURNING j.*`,
    ),
    /** Gives leases back without counting the attempt; runAt unchanged (the job keeps its place). */
    release: named(
      'release',
      `UPDATE ${jobs} AS j SET status = 'queued', attempts = j.attempts - 1, updated_at = ${NOW}, ${LEASE_CLEARED}
       FROM unnest(${batchParam(2, 'text')}, ${batchParam(3, 'text')}) AS l(id, token)
       WHERE ${FENCE}
       RETURNING j.id, j.queue`,
    ),
    /** $2 id, $3 token, $4 progress (JSON text). */
    progress: named(
      'progress',
      `UPDATE ${jobs} AS j SET progress = $4::json, updated_at = ${NOW}
       WHERE j.id = $2 AND j.lease_token = $3 AND j.status = 'running'`,
    ),
    /**
     * Cancels a waiting or running job and revokes its lease, reporting what it found: no row (not
     * found), `prev_status` only (already ended, or another tenant's), or the cancelled row.
     * $2 id, $3 tenant (NULL: any).
     */
    cancel: named(
      'cancel',
      `WITH cur AS (SELECT id, status, tenant FROM ${jobs} WHERE id = $2 FOR UPDATE),
       upd AS (
         UPDATE ${jobs} AS j SET status = 'cancelled', finished_at = ${NOW}, updated_at = ${NOW}, ${LEASE_CLEARED}
         FROM cur
         WHERE j.id = cur.id AND cur.status IN ('scheduled', 'queued', 'running')
           AND ($3::text IS NULL OR cur.tenant = $3::text)
         RETURNING j.*
       )
       SELECT cur.status AS prev_status, cur.tenant AS prev_tenant, upd.*
       FROM cur LEFT JOIN upd ON true`,
    ),
    /** $2 queue, $3 paused. */
    setPaused: named(
      'set_paused',
      `INSERT INTO ${queues} (name, paused, updated_at) VALUES ($2, $3, ${NOW})
       ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at`,
    ),
    /** Expired leases back to `queued`, or `failed` on the last attempt (core's reclaimOutcome). $2 limit
     * (NULL: all), $3 error (LEASE_EXPIRED_ERROR_JSON). */
    reclaim: named(
      'reclaim',
      `UPDATE ${jobs} AS j SET ${reclaimSetSql({ column: 'j.', now: NOW, error: '$3::json' })}, ${LEASE_CLEARED}
       WHERE j.id IN (SELECT x.id FROM ${jobs} x WHERE x.status = 'running' AND x.lease_expires_at <= ${NOW}
                      ORDER BY x.lease_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING j.*`,
    ),
    /** $2 finished age ms, $3 failed age ms, $4 limit (NULL: all). */
    purge: named(
      'purge',
      `DELETE FROM ${jobs} WHERE id IN (
         SELECT id FROM (
           SELECT id FROM ${jobs} WHERE status IN ('succeeded', 'cancelled') AND finished_at < ${NOW} - $2::bigint
           UNION ALL
           SELECT id FROM ${jobs} WHERE status = 'failed' AND finished_at < ${NOW} - $3::bigint
         ) old LIMIT $4)`,
    ),
  };
}

export type Statements = ReturnType<typeof buildStatements>;
