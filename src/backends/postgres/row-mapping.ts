import type { ClaimedJob, Job, JobError, JobStatus } from '../../core/job.js';
import type { NewJob } from '../../core/new-job.js';

/**
 * A `jobs` row as the adapter's pg type parsers return it: bigint columns as numbers, JSON columns
 * as their text (so that SQL NULL and a stored JSON `null` stay apart).
 */
export interface JobRow {
  id: string;
  queue: string;
  type: string;
  status: string;
  input: string;
  output: string | null;
  error: string | null;
  progress: string | null;
  priority: number;
  attempts: number;
  max_attempts: number;
  backoff: string;
  timeout_ms: number | null;
  idempotency_key: string | null;
  metadata: string | null;
  tenant: string | null;
  created_at: number;
  run_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
  lease_token: string | null;
  lease_expires_at: number | null;
  worker_id: string | null;
}

/** Nullable JSON text: `undefined` becomes SQL NULL (the field is absent on read). */
export function toNullableJsonText(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** Column arrays of an enqueue batch, one entry per job (for `unnest`). */
export interface InsertColumns {
  id: string[];
  queue: string[];
  type: string[];
  input: string[];
  priority: number[];
  max_attempts: number[];
  backoff: string[];
  timeout_ms: Array<number | null>;
  idempotency_key: Array<string | null>;
  metadata: Array<string | null>;
  tenant: Array<string | null>;
  run_at: Array<number | null>;
  delay_ms: number[];
}

/** Turns new jobs into column arrays; time stays relative so the statement applies its own "now". */
export function toInsertColumns(jobs: NewJob[]): InsertColumns {
  const columns: InsertColumns = {
    id: [],
    queue: [],
    type: [],
    input: [],
    priority: [],
    max_attempts: [],
    backoff: [],
    timeout_ms: [],
    idempotency_key: [],
    metadata: [],
    tenant: [],
    run_at: [],
    delay_ms: [],
  };
  for (const job of jobs) {
    columns.id.push(job.id);
    columns.queue.push(job.queue);
    columns.type.push(job.type);
    columns.input.push(job.input === undefined ? 'null' : JSON.stringify(job.input));
    columns.priority.push(job.priority);
    columns.max_attempts.push(job.maxAttempts);
    columns.backoff.push(JSON.stringify(job.backoff));
    columns.timeout_ms.push(job.timeoutMs ?? null);
    columns.idempotency_key.push(job.idempotencyKey ?? null);
    columns.metadata.push(job.metadata === undefined ? null : JSON.stringify(job.metadata));
    columns.tenant.push(job.tenant ?? null);
    columns.run_at.push(job.runAt ?? null);
    columns.delay_ms.push(job.delayMs ?? 0);
  }
  return columns;
}

/**
 * The Job a fresh insert stored, built from the request and the few values the database decided
 * (times, status) instead of reading the row back. JSON fields go through their stored text so the
 * result equals what `get` returns later.
 */
export function insertedJob(job: NewJob, stored: { created_at: number; run_at: number; status: string }): Job {
  const result: Job = {
    id: job.id,
    type: job.type,
    queue: job.queue,
    status: stored.status as JobStatus,
    input: job.input === undefined ? null : JSON.parse(JSON.stringify(job.input)),
    priority: job.priority,
    attempts: 0,
    maxAttempts: job.maxAttempts,
    backoff: JSON.parse(JSON.stringify(job.backoff)),
    createdAt: stored.created_at,
    runAt: stored.run_at,
    updatedAt: stored.created_at,
  };
  if (job.timeoutMs !== undefined) result.timeoutMs = job.timeoutMs;
  if (job.idempotencyKey !== undefined) result.idempotencyKey = job.idempotencyKey;
  if (job.metadata !== undefined) result.metadata = JSON.parse(JSON.stringify(job.metadata));
  if (job.tenant !== undefined) result.tenant = job.tenant;
  return result;
}

/**
 * Row -> Job. Optional fields are absent (not undefined) when NULL, as exactOptionalPropertyTypes
 * wants. A reader that passes `now` sees a due `scheduled` job as what it is: `queued`, waiting.
 */
export function rowToJob(row: JobRow, now?: number): Job {
  const job: Job = {
    id: row.id,
    type: row.type,
    queue: row.queue,
    status: effectiveStatus(row, now),
    input: JSON.parse(row.input),
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    backoff: JSON.parse(row.backoff),
    createdAt: row.created_at,
    runAt: row.run_at,
    updatedAt: row.updated_at,
  };
  if (row.output !== null) job.output = JSON.parse(row.output);
  if (row.error !== null) job.error = JSON.parse(row.error) as JobError;
  if (row.progress !== null) job.progress = JSON.parse(row.progress);
  if (row.timeout_ms !== null) job.timeoutMs = row.timeout_ms;
  if (row.idempotency_key !== null) job.idempotencyKey = row.idempotency_key;
  if (row.metadata !== null) job.metadata = JSON.parse(row.metadata);
  if (row.tenant !== null) job.tenant = row.tenant;
  if (row.started_at !== null) job.startedAt = row.started_at;
  if (row.finished_at !== null) job.finishedAt = row.finished_at;
  return job;
}

/** Row of a job a claim just leased -> ClaimedJob. */
export function rowToClaimedJob(row: JobRow): ClaimedJob {
  return {
    ...rowToJob(row),
    status: 'running',
    leaseToken: row.lease_token!,
    leaseExpiresAt: row.lease_expires_at!,
    workerId: row.worker_id!,
  };
}

/** The status a reader should see: a `scheduled` row whose runAt has come is waiting, i.e. `queued`. */
export function effectiveStatus(row: Pick<JobRow, 'status' | 'run_at'>, now?: number): JobStatus {
  return row.status === 'scheduled' && now !== undefined && row.run_at <= now ? 'queued' : (row.status as JobStatus);
}

/** Claim order: priority DESC, runAt, id (RETURNING promises no order). */
export function compareClaimOrder(a: Job, b: Job): number {
  return b.priority - a.priority || a.runAt - b.runAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
