import type Database from 'better-sqlite3';
import { reclaimSetSql } from '../sql/reclaim-set.js';
import type { ClaimedRow, CompletedRow, JobInsertArgs, JobRow } from './row-mapping.js';

/**
 * A fresh lease token per row, minted by SQLite itself (128 bits from its CSPRNG-seeded randomblob,
 * as 32 hex digits): no call back into JS per claimed row, and as unguessable as a random UUID.
 */
const LEASE_TOKEN_SQL = 'lower(hex(randomblob(16)))';

/** Columns a claim sets: a fresh token per row (minted in SQL, so one statement leases the batch). */
const CLAIM_SET = `status = 'running', lease_token = ${LEASE_TOKEN_SQL}, lease_expires_at = @leaseExpiresAt,
  attempts = attempts + 1, started_at = @now, updated_at = @now, worker_id = @workerId, progress = NULL`;

/**
 * What a claim reads back, in ClaimedRow's order: the columns a ClaimedJob carries that the claim did
 * not set itself. Claimed rows are running with no output or progress (a claim clears progress;
 * output is only written by a completion), so those columns are not read either. Claim statements
 * are raw (rows as arrays), which saves building an object per row.
 */
const CLAIM_RETURNING = `RETURNING id, queue, type, input, priority, attempts, max_attempts, backoff, timeout_ms,
  idempotency_key, metadata, tenant, error, created_at, run_at, finished_at, lease_token`;

/**
 * What a completion reads back for `job:finished`: every column but `output`, which the caller has
 * in hand already (the text it bound). An output can be large (150000! is 700 kB): reading it back
 * would copy it out of SQLite again, on the event loop.
 */
const COMPLETED_RETURNING = `RETURNING id, queue, type, status, input, error, progress, priority, attempts, max_attempts,
  backoff, timeout_ms, idempotency_key, metadata, tenant, created_at, run_at, started_at, finished_at, updated_at,
  lease_token, lease_expires_at, worker_id`;

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

/** Every attempt-scoped write matches on the current lease token: a stale attempt matches no row. */
const FENCE = `WHERE id = @id AND lease_token = @leaseToken AND status = 'running'`;

const LEASE_CLEARED = 'lease_token = NULL, lease_expires_at = NULL';

/*
 * Hot statements name their index (INDEXED BY): without statistics the planner may pick a wider
 * index, and a statement that can no longer use its index fails at prepare time instead of
 * silently scanning.
 */

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
function candidatesSql(shape: ClaimShape): string {
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

/**
 * The fixed statements of the adapter, prepared once per connection. Statements whose shape depends
 * on optional filters (list, stats, redrive) are prepared on first use and cached by the backend.
 */
export function prepareStatements(db: Database.Database): Statements {
  return {
    // Positional: the arguments are a JobInsertArgs tuple, in this column order.
    insert: db.prepare<JobInsertArgs, void>(
      `INSERT INTO jobs (id, queue, type, status, input, priority, max_attempts, backoff, timeout_ms, idempotency_key,
         metadata, tenant, created_at, run_at, updated_at, request_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    byIdempotencyKey: db.prepare<[{ queue: string; tenant: string; key: string }], JobRow>(
      `SELECT * FROM jobs INDEXED BY jobs_idempotency
       WHERE queue = @queue AND ifnull(tenant, '') = @tenant AND idempotency_key = @key`,
    ),
    byId: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
    pausedQueues: db.prepare<[], string>('SELECT name FROM queues WHERE paused = 1').pluck(),

    promoteOne: db.prepare<[{ queue: string; now: number }], void>(
      `UPDATE jobs INDEXED BY jobs_scheduled SET status = 'queued', updated_at = @now
       WHERE status = 'scheduled' AND queue = @queue AND run_at <= @now`,
    ),
    promoteMany: db.prepare<[{ queues: string; now: number }], void>(
      `UPDATE jobs INDEXED BY jobs_scheduled SET status = 'queued', updated_at = @now
       WHERE status = 'scheduled' AND queue IN (SELECT value FROM json_each(@queues)) AND run_at <= @now`,
    ),
    // Several queues: the top `limit` of each queue (index-served), merged in JS, then leased by rowid.
    // An `IN (queues…) ORDER BY` would sort every waiting job of those queues on each claim.
    candidates: Object.fromEntries(
      CLAIM_SHAPES.map((shape) => [claimShapeKey(shape), db.prepare<[CandidateParams], ClaimCandidate>(candidatesSql(shape))]),
    ),
    claimRowids: db
      .prepare<[{ rowids: string; now: number; leaseExpiresAt: number; workerId: string }], ClaimedRow>(
        `UPDATE jobs SET ${CLAIM_SET}
       WHERE rowid IN (SELECT value FROM json_each(@rowids))
       ${CLAIM_RETURNING}`,
      )
      .raw(),

    // Leases exactly the listed jobs that are claimable now (a transport delivered their ids).
    claimIds: db
      .prepare<[ClaimIdsStatementParams], ClaimedRow>(
        `UPDATE jobs SET ${CLAIM_SET}
       WHERE id IN (SELECT value FROM json_each(@ids))
         AND (status = 'queued' OR (status = 'scheduled' AND run_at <= @now))
         AND queue NOT IN (SELECT name FROM queues WHERE paused = 1)
         AND (@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
         AND (@tenant IS NULL OR tenant = @tenant)
       ${CLAIM_RETURNING}`,
      )
      .raw(),
    heartbeat: db.prepare<[{ id: string; leaseToken: string; leaseExpiresAt: number }], void>(
      `UPDATE jobs SET lease_expires_at = @leaseExpiresAt ${FENCE}`,
    ),
    complete: db.prepare<[SettleParams & { output: string | null }], void>(
      `UPDATE jobs SET status = 'succeeded', output = @output, finished_at = @now, updated_at = @now, ${LEASE_CLEARED} ${FENCE}`,
    ),
    // A whole batch in one statement: `items` is a JSON array of [id, leaseToken, outputText|null];
    // each row is fenced by its own token, and the ids returned are the ones written.
    completeMany: db
      .prepare<[{ items: string; now: number }], string>(
        `UPDATE jobs SET status = 'succeeded', output = j.value ->> 2, finished_at = @now, updated_at = @now, ${LEASE_CLEARED}
       FROM json_each(@items) AS j
       WHERE jobs.id = j.value ->> 0 AND jobs.lease_token = j.value ->> 1 AND jobs.status = 'running'
       RETURNING id`,
      )
      .pluck(),
    // The same batch write, reading the rows back (but their output) for `job:finished` listeners.
    completeManyReturning: db.prepare<[{ items: string; now: number }], CompletedRow>(
      `UPDATE jobs SET status = 'succeeded', output = j.value ->> 2, finished_at = @now, updated_at = @now, ${LEASE_CLEARED}
       FROM json_each(@items) AS j
       WHERE jobs.id = j.value ->> 0 AND jobs.lease_token = j.value ->> 1 AND jobs.status = 'running'
       ${COMPLETED_RETURNING}`,
    ),
    // One row, reading it back but its output (a batch of one, or naming one job twice).
    completeReturning: db.prepare<[SettleParams & { output: string | null }], CompletedRow>(
      `UPDATE jobs SET status = 'succeeded', output = @output, finished_at = @now, updated_at = @now, ${LEASE_CLEARED} ${FENCE}
       ${COMPLETED_RETURNING}`,
    ),
    retry: db.prepare<[SettleParams & { status: 'scheduled' | 'queued'; runAt: number; error: string }], { queue: string }>(
      `UPDATE jobs SET status = @status, run_at = @runAt, error = @error, updated_at = @now, ${LEASE_CLEARED} ${FENCE}
       RETURNING queue`,
    ),
    failFinal: db.prepare<[SettleParams & { error: string }], JobRow>(
      `UPDATE jobs SET status = 'failed', error = @error, finished_at = @now, updated_at = @now, ${LEASE_CLEARED} ${FENCE}
       RETURNING *`,
    ),
    release: db.prepare<[SettleParams], { queue: string }>(
      `UPDATE jobs SET status = 'queued', attempts = attempts - 1, updated_at = @now, ${LEASE_CLEARED} ${FENCE}
       RETURNING queue`,
    ),
    progress: db.prepare<[SettleParams & { progress: string | null }], void>(
      `UPDATE jobs SET progress = @progress, updated_at = @now ${FENCE}`,
    ),
    cancel: db.prepare<[{ id: string; now: number }], JobRow>(
      `UPDATE jobs SET status = 'cancelled', finished_at = @now, updated_at = @now, ${LEASE_CLEARED}
       WHERE id = @id AND status IN ('scheduled', 'queued', 'running')
       RETURNING *`,
    ),
    setPaused: db.prepare<[{ queue: string; paused: number; now: number }], void>(
      `INSERT INTO queues (name, paused, updated_at) VALUES (@queue, @paused, @now)
       ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at`,
    ),
    reclaim: db.prepare<[{ now: number; limit: number; error: string }], JobRow>(
      `UPDATE jobs SET ${reclaimSetSql({ now: '@now', error: '@error' })}, ${LEASE_CLEARED}
       WHERE rowid IN (SELECT rowid FROM jobs INDEXED BY jobs_lease WHERE status = 'running' AND lease_expires_at <= @now
                       ORDER BY lease_expires_at LIMIT @limit)
       RETURNING *`,
    ),
    purge: db.prepare<[{ finishedBefore: number; failedBefore: number; limit: number }], void>(
      `DELETE FROM jobs WHERE rowid IN (
         SELECT rowid FROM jobs INDEXED BY jobs_finished WHERE status IN ('succeeded', 'cancelled') AND finished_at < @finishedBefore
         UNION ALL
         SELECT rowid FROM jobs INDEXED BY jobs_finished WHERE status = 'failed' AND finished_at < @failedBefore
         LIMIT @limit)`,
    ),
    ping: db.prepare<[], number>('SELECT 1').pluck(),
  };
}

/** The fixed statements of the adapter (typed by their parameters and result rows). */
export interface Statements {
  insert: Database.Statement<JobInsertArgs, void>;
  byIdempotencyKey: Database.Statement<[{ queue: string; tenant: string; key: string }], JobRow>;
  byId: Database.Statement<[string], JobRow>;
  pausedQueues: Database.Statement<[], string>;
  promoteOne: Database.Statement<[{ queue: string; now: number }], void>;
  promoteMany: Database.Statement<[{ queues: string; now: number }], void>;
  /** By claimShapeKey. */
  candidates: Record<string, Database.Statement<[CandidateParams], ClaimCandidate>>;
  claimRowids: Database.Statement<[{ rowids: string; now: number; leaseExpiresAt: number; workerId: string }], ClaimedRow>;
  claimIds: Database.Statement<[ClaimIdsStatementParams], ClaimedRow>;
  heartbeat: Database.Statement<[{ id: string; leaseToken: string; leaseExpiresAt: number }], void>;
  complete: Database.Statement<[SettleParams & { output: string | null }], void>;
  completeMany: Database.Statement<[{ items: string; now: number }], string>;
  completeManyReturning: Database.Statement<[{ items: string; now: number }], CompletedRow>;
  completeReturning: Database.Statement<[SettleParams & { output: string | null }], CompletedRow>;
  retry: Database.Statement<[SettleParams & { status: 'scheduled' | 'queued'; runAt: number; error: string }], { queue: string }>;
  failFinal: Database.Statement<[SettleParams & { error: string }], JobRow>;
  release: Database.Statement<[SettleParams], { queue: string }>;
  progress: Database.Statement<[SettleParams & { progress: string | null }], void>;
  cancel: Database.Statement<[{ id: string; now: number }], JobRow>;
  setPaused: Database.Statement<[{ queue: string; paused: number; now: number }], void>;
  reclaim: Database.Statement<[{ now: number; limit: number; error: string }], JobRow>;
  purge: Database.Statement<[{ finishedBefore: number; failedBefore: number; limit: number }], void>;
  ping: Database.Statement<[], number>;
}

const CLAIM_SHAPES: ClaimShape[] = [
  { typed: false, tenanted: false },
  { typed: true, tenanted: false },
  { typed: false, tenanted: true },
  { typed: true, tenanted: true },
];

/** The optional filter values of a claim statement, present only in the shapes that use them. */
interface ClaimFilterParams {
  /** A JSON array of types (typed shapes). */
  types?: string;
  /** Tenanted shapes. */
  tenant?: string;
}

/** Parameters of a claimOneSql statement. */
export interface ClaimOneParams extends ClaimFilterParams {
  queue: string;
  now: number;
  leaseExpiresAt: number;
  workerId: string;
}

/** Parameters of a candidates statement. */
export interface CandidateParams extends ClaimFilterParams {
  queue: string;
  now: number;
  limit: number;
}

interface ClaimIdsStatementParams {
  ids: string;
  types: string | null;
  tenant: string | null;
  now: number;
  leaseExpiresAt: number;
  workerId: string;
}

interface SettleParams {
  id: string;
  leaseToken: string;
  now: number;
}
