import { backoffText } from '../../core/backoff-text.js';
import type { ClaimedJob, Job, JobStatus } from '../../core/job.js';
import type { NewJob } from '../../core/new-job.js';
import { effectiveStatus, type JobRow, rowToJob } from '../sql/job-row.js';

export { effectiveStatus, type JobRow, rowToJob };

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
  request_hash: Array<string | null>;
}

/** One JSON array of already-serialized JSON texts (each a complete JSON value), without re-encoding them. */
export function jsonArray(texts: readonly string[]): string {
  return `[${texts.join(',')}]`;
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
    request_hash: [],
  };
  for (const job of jobs) {
    columns.id.push(job.id);
    columns.queue.push(job.queue);
    columns.type.push(job.type);
    columns.input.push(job.inputJson);
    columns.priority.push(job.priority);
    columns.max_attempts.push(job.maxAttempts);
    columns.backoff.push(backoffText(job.backoff));
    columns.timeout_ms.push(job.timeoutMs ?? null);
    columns.idempotency_key.push(job.idempotencyKey ?? null);
    columns.metadata.push(job.metadataJson ?? null);
    columns.tenant.push(job.tenant ?? null);
    columns.run_at.push(job.runAt ?? null);
    columns.delay_ms.push(job.delayMs ?? 0);
    columns.request_hash.push(job.requestHash ?? null);
  }
  return columns;
}

/**
 * The Job a fresh insert stored, built from the request and the few values the database decided
 * (times, status) instead of reading the row back. Input and metadata go through their stored JSON
 * text (`input`: parsed from what the INSERT sent) so the result equals what `get` returns later;
 * the backoff policy is plain validated data (filled in by toNewJob), so a copy equals its stored form.
 */
export function insertedJob(job: NewJob, stored: { created_at: number; run_at: number; status: string }, input: unknown): Job {
  const result: Job = {
    id: job.id,
    type: job.type,
    queue: job.queue,
    status: stored.status as JobStatus,
    input,
    priority: job.priority,
    attempts: 0,
    maxAttempts: job.maxAttempts,
    backoff: { ...job.backoff },
    createdAt: stored.created_at,
    runAt: stored.run_at,
    updatedAt: stored.created_at,
  };
  if (job.timeoutMs !== undefined) result.timeoutMs = job.timeoutMs;
  if (job.idempotencyKey !== undefined) result.idempotencyKey = job.idempotencyKey;
  if (job.metadataJson !== undefined) result.metadata = JSON.parse(job.metadataJson);
  if (job.tenant !== undefined) result.tenant = job.tenant;
  return result;
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
