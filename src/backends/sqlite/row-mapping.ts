import { backoffText } from '../../core/backoff-text.js';
import type { BackoffPolicy, ClaimedJob, Job, JobError, JobStatus } from '../../core/job.js';
import type { NewJob } from '../../core/new-job.js';
import { effectiveStatus, type JobRow, rowToJob } from '../sql/job-row.js';

export { effectiveStatus, type JobRow, rowToJob };

/** A completed row as the completion statements read it back: without `output`, which the writer holds. */
export type CompletedRow = Omit<EventedJobRow, 'output'>;

/** The columns that hold what the job's spec asked for, in the order both statements list them. */
type SpecColumns = [
  maxAttempts: number,
  backoff: string,
  timeoutMs: number | null,
  idempotencyKey: string | null,
  metadata: string | null,
  tenant: string | null,
];

/**
 * Positional parameters of the INSERT statement, in column order (see sql/job-intake.ts `INSERT`).
 * Positional binding: better-sqlite3 looks each named parameter up on the object, which cost more
 * than the row's own write on the bulk-enqueue path.
 */
export type JobInsertArgs = [
  id: string,
  queue: string,
  type: string,
  status: JobStatus,
  input: string,
  priority: number,
  ...SpecColumns,
  createdAt: number,
  runAt: number,
  updatedAt: number,
  requestHash: string | null,
];

/** Nullable JSON text: `undefined` becomes SQL NULL (the field is absent on read). */
export function toNullableJsonText(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** Resolves a NewJob's time against `now` and turns it into INSERT arguments. */
export function toInsertArgs(job: NewJob, now: number): JobInsertArgs {
  const runAt = job.runAt ?? now + (job.delayMs ?? 0);
  return [
    job.id,
    job.queue,
    job.type,
    runAt > now ? 'scheduled' : 'queued',
    job.inputJson,
    job.priority,
    job.maxAttempts,
    backoffText(job.backoff),
    job.timeoutMs ?? null,
    job.idempotencyKey ?? null,
    job.metadataJson ?? null,
    job.tenant ?? null,
    now,
    runAt,
    now,
    job.requestHash ?? null,
  ];
}

/**
 * The Job a fresh insert stored, built without reading it back: enqueue is hot, and the row holds
 * exactly these values. Input and metadata are round-tripped through their stored text so that the
 * result equals what `get` returns later; the backoff policy is plain validated data (numbers and
 * strings filled in by toNewJob), so a copy equals its stored form.
 */
export function insertedJob(job: NewJob, args: JobInsertArgs): Job {
  const [, , , status, input, , , , , , metadata, , createdAt, runAt] = args;
  const stored: Job = {
    id: job.id,
    type: job.type,
    queue: job.queue,
    status,
    input: JSON.parse(input),
    priority: job.priority,
    attempts: 0,
    maxAttempts: job.maxAttempts,
    backoff: { ...job.backoff },
    createdAt,
    runAt,
    updatedAt: createdAt,
  };
  if (job.timeoutMs !== undefined) stored.timeoutMs = job.timeoutMs;
  if (job.idempotencyKey !== undefined) stored.idempotencyKey = job.idempotencyKey;
  if (metadata !== null) stored.metadata = JSON.parse(metadata);
  if (job.tenant !== undefined) stored.tenant = job.tenant;
  return stored;
}

/**
 * What a claim reads back, as a raw row (an array: better-sqlite3 builds no object per row), in the
 * column order of CLAIM_RETURNING. The values the claim itself set (status, lease expiry, worker,
 * start and update time) are not read back: the caller knows them (see ClaimStamp).
 */
export type ClaimedRow = [
  id: string,
  queue: string,
  type: string,
  input: string,
  priority: number,
  attempts: number,
  ...SpecColumns,
  error: string | null,
  createdAt: number,
  runAt: number,
  finishedAt: number | null,
  leaseToken: string,
  lastSeq: number,
];

/** The job's newest event seq (schema migration 5), which every event-appending write reads back. */
export type EventedJobRow = JobRow & { last_seq: number };

/** What a write that appends events reads back (sql/common.ts EVENT_JOB_RETURNING). */
export interface EventJobRow {
  id: string;
  queue: string;
  tenant: string | null;
  attempts: number;
  last_seq: number;
}

/** The values one claim statement wrote into every row it leased. */
export interface ClaimStamp {
  now: number;
  leaseExpiresAt: number;
  workerId: string;
}

/**
 * Parsed backoff policies by their stored text. Nearly every job of a queue stores the same few
 * policies, so a claim parses each once; callers get their own copy (a job is the caller's to keep).
 */
const backoffCache = new Map<string, BackoffPolicy>();
const BACKOFF_CACHE_MAX = 64;

function parseBackoff(text: string): BackoffPolicy {
  let policy = backoffCache.get(text);
  if (policy === undefined) {
    policy = JSON.parse(text) as BackoffPolicy;
    if (backoffCache.size >= BACKOFF_CACHE_MAX) backoffCache.clear();
    backoffCache.set(text, policy);
  }
  return { ...policy };
}

/**
 * Raw row of a job a claim just leased -> ClaimedJob, built in one object literal (claims are hot:
 * no intermediate Job and no spread). Same fields as rowToJob plus the lease.
 */
export function rowToClaimedJob(row: ClaimedRow, stamp: ClaimStamp): ClaimedJob {
  const job: ClaimedJob = {
    id: row[0],
    type: row[2],
    queue: row[1],
    status: 'running',
    input: JSON.parse(row[3]),
    priority: row[4],
    attempts: row[5],
    maxAttempts: row[6],
    backoff: parseBackoff(row[7]),
    createdAt: row[13],
    runAt: row[14],
    startedAt: stamp.now,
    updatedAt: stamp.now,
    leaseToken: row[16],
    leaseExpiresAt: stamp.leaseExpiresAt,
    workerId: stamp.workerId,
  };
  if (row[12] !== null) job.error = JSON.parse(row[12]) as JobError;
  if (row[8] !== null) job.timeoutMs = row[8];
  if (row[9] !== null) job.idempotencyKey = row[9];
  if (row[10] !== null) job.metadata = JSON.parse(row[10]);
  if (row[11] !== null) job.tenant = row[11];
  if (row[15] !== null) job.finishedAt = row[15];
  return job;
}
