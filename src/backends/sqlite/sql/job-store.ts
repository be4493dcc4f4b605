import { EVENT_JOB_RETURNING, FENCE, LEASE_CLEARED, ONE_EVENT } from './common.js';

/** The SQL of the worker's job-store role: claim, heartbeat, complete, fail, release, progress. */

/**
 * A fresh lease token per row, minted by SQLite itself (128 bits from its CSPRNG-seeded randomblob,
 * as 32 hex digits): no call back into JS per claimed row, and as unguessable as a random UUID.
 */
const LEASE_TOKEN_SQL = 'lower(hex(randomblob(16)))';

/** Columns a claim sets: a fresh token per row (minted in SQL, so one statement leases the batch). */
const CLAIM_SET = `status = 'running', lease_token = ${LEASE_TOKEN_SQL}, lease_expires_at = @leaseExpiresAt,
  attempts = attempts + 1, started_at = @now, updated_at = @now, worker_id = @workerId, progress = NULL, ${ONE_EVENT}`;

/**
 * What a claim reads back, in ClaimedRow's order: the columns a ClaimedJob carries that the claim did
 * not set itself. Claimed rows are running with no output or progress (a claim clears progress;
 * output is only written by a completion), so those columns are not read either. Claim statements
 * are raw (rows as arrays), which saves building an object per row.
 */
const CLAIM_RETURNING = `RETURNING id, queue, type, input, priority, attempts, max_attempts, backoff, timeout_ms,
  idempotency_key, metadata, tenant, error, created_at, run_at, finished_at, lease_token, last_seq`;

/**
 * What a completion reads back for `job:finished`: every column but `output`, which the caller has
 * in hand already (the text it bound). An output can be large (150000! is 700 kB): reading it back
 * would copy it out of SQLite again, on the event loop.
 */
const COMPLETED_RETURNING = `RETURNING id, queue, type, status, input, error, progress, priority, attempts, max_attempts,
  backoff, timeout_ms, idempotency_key, metadata, tenant, created_at, run_at, started_at, finished_at, updated_at,
  lease_token, lease_expires_at, worker_id, last_seq`;

/** Order of the claim, served by the jobs_claim index. */
const CLAIM_ORDER = 'ORDER BY priority DESC, run_at, id';

const TYPES_FILTER = 'AND type IN (SELECT value FROM json_each(@types))';

/** A tenant-scoped claim: a separate statement, so the unscoped claim keeps its plain form. */
const TENANT_FILTER = 'AND tenant = @tenant';

/** The optional filters of a claim, written into its SQL (each shape is its own statement). */
export interface ClaimShape {
  /** Filter on `@types` (a JSON array). */
  typed: boolean;
  /** Filter on `@tenant`. */
  tenanted: boolean;
}

function claimFilters({ typed, tenanted }: ClaimShape): string {
  return `${typed ? TYPES_FILTER : ''} ${tenanted ? TENANT_FILTER : ''}`;
}

/**
 * The one-queue claim (the common case): a single UPDATE … RETURNING walks the claim index in order.
 * The LIMIT is written into the SQL rather than bound: with a bound `LIMIT ?` a one-row claim cost
 * 67 µs against 15 µs with a literal (in memory, 3,000 queued jobs; the fixed cost fades at 50 rows),
 * so the backend prepares one statement per limit it meets (see SqliteBackend.claimOneStatement).
 */
export function claimOneSql(shape: ClaimShape, limit: number): string {
  if (!Number.isSafeInteger(limit) || limit <= 0) throw new RangeError(`claim limit must be a positive integer, got ${limit}`);
  return `UPDATE jobs SET ${CLAIM_SET}
       WHERE rowid IN (SELECT rowid FROM jobs INDEXED BY jobs_claim
                       WHERE status = 'queued' AND queue = @queue AND run_at <= @now ${claimFilters(shape)}
                       ${CLAIM_ORDER} LIMIT ${limit})
       ${CLAIM_RETURNING}`;
}

/** Several queues: the top `@limit` claimable jobs of one queue (index-served), merged by the caller. */
export function candidatesSql(shape: ClaimShape): string {
  return `SELECT rowid AS rid, priority, run_at, id FROM jobs INDEXED BY jobs_claim
       WHERE status = 'queued' AND queue = @queue AND run_at <= @now ${claimFilters(shape)} ${CLAIM_ORDER} LIMIT @limit`;
}

/** Key of a claim shape in a statement cache. */
export function claimShapeKey({ typed, tenanted }: ClaimShape): string {
  return `${typed ? 't' : 'a'}${tenanted ? 'n' : ''}`;
}

export interface ClaimCandidate {
  rid: number;
  priority: number;
  run_at: number;
  id: string;
}

export const PAUSED_QUEUES = 'SELECT name FROM queues WHERE paused = 1';

/** Due scheduled jobs of one queue become queued (a claim promotes them lazily, just before it claims). */
export const PROMOTE_ONE = `UPDATE jobs INDEXED BY jobs_scheduled SET status = 'queued', updated_at = @now
       WHERE status = 'scheduled' AND queue = @queue AND run_at <= @now`;

export const PROMOTE_MANY = `UPDATE jobs INDEXED BY jobs_scheduled SET status = 'queued', updated_at = @now
       WHERE status = 'scheduled' AND queue IN (SELECT value FROM json_each(@queues)) AND run_at <= @now`;

/** Several queues: the merged candidates (see candidatesSql), leased by rowid. */
export const CLAIM_ROWIDS = `UPDATE jobs SET ${CLAIM_SET}
       WHERE rowid IN (SELECT value FROM json_each(@rowids))
       ${CLAIM_RETURNING}`;

/** Leases exactly the listed jobs that are claimable now (a transport delivered their ids). */
export const CLAIM_IDS = `UPDATE jobs SET ${CLAIM_SET}
       WHERE id IN (SELECT value FROM json_each(@ids))
         AND (status = 'queued' OR (status = 'scheduled' AND run_at <= @now))
         AND queue NOT IN (SELECT name FROM queues WHERE paused = 1)
         AND (@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
         AND (@tenant IS NULL OR tenant = @tenant)
       ${CLAIM_RETURNING}`;

export const HEARTBEAT = `UPDATE jobs SET lease_expires_at = @leaseExpiresAt ${FENCE}`;

export const COMPLETE = `UPDATE jobs SET status = 'succeeded', output = @output, finished_at = @now, updated_at = @now, ${ONE_EVENT},
       ${LEASE_CLEARED} ${FENCE}
       ${EVENT_JOB_RETURNING}`;

/**
 * A whole batch in one statement: `items` is a JSON array of [id, leaseToken, outputText|null];
 * each row is fenced by its own token, and the rows returned are the ones written.
 */
export const COMPLETE_MANY = `UPDATE jobs SET status = 'succeeded', output = j.value ->> 2, finished_at = @now, updated_at = @now, ${ONE_EVENT},
       ${LEASE_CLEARED}
       FROM json_each(@items) AS j
       WHERE jobs.id = j.value ->> 0 AND jobs.lease_token = j.value ->> 1 AND jobs.status = 'running'
       ${EVENT_JOB_RETURNING}`;

/** The same batch write, reading the rows back (but their output) for `job:finished` listeners. */
export const COMPLETE_MANY_RETURNING = `UPDATE jobs SET status = 'succeeded', output = j.value ->> 2, finished_at = @now, updated_at = @now, ${ONE_EVENT},
       ${LEASE_CLEARED}
       FROM json_each(@items) AS j
       WHERE jobs.id = j.value ->> 0 AND jobs.lease_token = j.value ->> 1 AND jobs.status = 'running'
       ${COMPLETED_RETURNING}`;

/** One row, reading it back but its output (a batch of one, or naming one job twice). */
export const COMPLETE_RETURNING = `UPDATE jobs SET status = 'succeeded', output = @output, finished_at = @now, updated_at = @now, ${ONE_EVENT},
       ${LEASE_CLEARED} ${FENCE}
       ${COMPLETED_RETURNING}`;

export const RETRY = `UPDATE jobs SET status = @status, run_at = @runAt, error = @error, updated_at = @now, ${ONE_EVENT},
       ${LEASE_CLEARED} ${FENCE}
       ${EVENT_JOB_RETURNING}`;

export const FAIL_FINAL = `UPDATE jobs SET status = 'failed', error = @error, finished_at = @now, updated_at = @now, ${ONE_EVENT},
       ${LEASE_CLEARED} ${FENCE}
       RETURNING *`;

/**
 * Gives a lease back without counting the attempt; runAt unchanged (the job keeps its place).
 * `attempts` reads back the attempt given back (job.released belongs to it), not the new count.
 */
export const RELEASE = `UPDATE jobs SET status = 'queued', attempts = attempts - 1, updated_at = @now, ${ONE_EVENT},
       ${LEASE_CLEARED} ${FENCE}
       RETURNING id, queue, tenant, attempts + 1 AS attempts, last_seq`;

export const PROGRESS = `UPDATE jobs SET progress = @progress, updated_at = @now, ${ONE_EVENT} ${FENCE}
       ${EVENT_JOB_RETURNING}`;

/** A running attempt's output chunks: only an event (job.output.delta), fenced like every attempt write. */
export const APPEND_OUTPUT = `UPDATE jobs SET updated_at = @now, ${ONE_EVENT} ${FENCE}
       ${EVENT_JOB_RETURNING}`;
