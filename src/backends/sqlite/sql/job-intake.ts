/** The SQL of the intake role (enqueue). */

/**
 * Positional: the arguments are a JobInsertArgs tuple, in this column order, then `last_seq`, the
 * seq of the job.created (and job.scheduled) events the enqueue appends.
 */
export const INSERT = `INSERT INTO jobs (id, queue, type, status, input, priority, max_attempts, backoff, timeout_ms, idempotency_key,
         metadata, tenant, created_at, run_at, updated_at, request_hash, last_seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The job holding an idempotency key (also one inserted earlier in the same batch). */
export const BY_IDEMPOTENCY_KEY = `SELECT * FROM jobs INDEXED BY jobs_idempotency
       WHERE queue = @queue AND ifnull(tenant, '') = @tenant AND idempotency_key = @key`;
