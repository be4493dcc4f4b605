import { batchParam, NOW, notifyCtes, ROW_AND_NOW, type SchemaSql } from './common.js';
import { appendEventsCte } from './event-log.js';

/** The statements of the intake role (enqueue), for one schema. */
export function intakeStatements(t: SchemaSql) {
  /**
   * The batch insert shared by `insert` and `insertNotify` (a CTE of each). Columns travel
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
       INSERT INTO ${t.jobs} AS j (id, queue, type, status, input, priority, max_attempts, backoff, timeout_ms,
                                 idempotency_key, metadata, tenant, created_at, run_at, updated_at, request_hash, event_seq)
       SELECT b.id, b.queue, b.type, CASE WHEN r.run_at > ${NOW} THEN 'scheduled' ELSE 'queued' END, b.input::json,
              b.priority, b.max_attempts, b.backoff::json, b.timeout_ms, b.idempotency_key, b.metadata::json, b.tenant,
              ${NOW}, r.run_at, ${NOW}, b.request_hash, CASE WHEN r.run_at > ${NOW} THEN 2 ELSE 1 END
       FROM batch b CROSS JOIN LATERAL (SELECT coalesce(b.run_at, ${NOW} + b.delay_ms) AS run_at) r
       ORDER BY b.ord
       ON CONFLICT (queue, (coalesce(tenant, '')), idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING j.id, j.queue, j.tenant, j.type, j.status, j.priority, j.created_at, j.run_at, j.event_seq`;

  /**
   * `job.created` for every row inserted (an idempotency repeat inserts none, so logs none), and
   * `job.scheduled` after it for a job that waits for its runAt (event_seq 2): in batch order.
   */
  const CREATED_EVENTS = appendEventsCte(
    t,
    `SELECT i.id, e.seq, e.type, i.created_at, NULL::int, e.data, i.queue, i.tenant
     FROM ins i CROSS JOIN LATERAL (VALUES
       (1, 'job.created', json_build_object('type', i.type, 'status', i.status, 'runAt', i.run_at, 'priority', i.priority)),
       (2, 'job.scheduled', json_build_object('runAt', i.run_at))
     ) AS e(seq, type, data)
     WHERE e.seq <= i.event_seq`,
  );

  return {
    /**
     * Inserts a batch and logs its events; idempotency repeats (queue, tenant, key) are skipped by
     * ON CONFLICT and reported by their absence from the result. The status and runAt are decided
     * on the database's "now" when no clock is injected.
     */
    insert: t.named(
      'insert',
      `WITH ins AS (${INSERT}), ${CREATED_EVENTS}
       SELECT ins.id, ins.status, ins.created_at, ins.run_at FROM ins`,
    ),
    /**
     * The same insert, announcing itself: one `jobs:enqueued` message (notify-payload wire format,
     * every queue with its count of rows actually inserted) goes out with `pg_notify` in the same
     * statement, so other processes hear of it on its commit and no second round trip (and commit)
     * is spent on the NOTIFY. Nothing inserted (all repeats): no message. A payload over
     * MAX_PAYLOAD_BYTES is not sent; `notified` is then false and the caller falls back to the
     * notifier. $16 channel, $17 origin.
     */
    insertNotify: t.named(
      'insert_notify',
      `WITH ins AS (${INSERT}), ${CREATED_EVENTS},
       per_queue AS (SELECT queue, count(*) AS n FROM ins GROUP BY queue),
       ${notifyCtes(`'["e",' || to_json(queue)::text || ',' || n || ']'`, 'per_queue', '$16', '$17')}
       SELECT ins.id, ins.status, ins.created_at, ins.run_at, note.sent IS NOT NULL AS notified
       FROM ins LEFT JOIN note ON true`,
    ),
    /** The jobs holding the given (queue, tenant, key) triples. */
    byIdempotencyKeys: t.named(
      'by_keys',
      `SELECT ${ROW_AND_NOW} FROM ${t.jobs} j
       JOIN unnest(${batchParam(2, 'text')}, ${batchParam(3, 'text')}, ${batchParam(4, 'text')}) AS k(queue, tenant, key)
         ON j.queue = k.queue AND coalesce(j.tenant, '') = k.tenant AND j.idempotency_key = k.key
       WHERE j.idempotency_key IS NOT NULL`,
    ),
  };
}
