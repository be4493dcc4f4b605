import type { ClaimedJob, Job, JobError, JobStatus } from '../../core/job.js';
import type { NewJob } from '../../core/new-job.js';
import { effectiveStatus, type JobRow, rowToJob } from '../sql/job-row.js';

export { effectiveStatus, type JobRow, rowToJob };

/** Named parameters of the INSERT statement. */
export interface JobInsertParams {
  id: string;
  queue: string;
  type: string;
  status: JobStatus;
  input: string;
  priority: number;
  max_attempts: number;
  backoff: string;
  timeout_ms: number | null;
  idempotency_key: string | null;
  metadata: string | null;
  tenant: string | null;
  created_at: number;
  run_at: number;
}

/** JSON text for a column. `undefined` has no JSON form, so it is stored as `null`. */
export function toJsonText(value: unknown): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** Nullable JSON text: `undefined` becomes SQL NULL (the field is absent on read). */
export function toNullableJsonText(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** Resolves a NewJob's time against `now` and turns it into INSERT parameters. */
export function toInsertParams(job: NewJob, now: number): JobInsertParams {
  const runAt = job.runAt ?? now + (job.delayMs ?? 0);
  return {
    id: job.id,
    queue: job.queue,
    type: job.type,
    status: runAt > now ? 'scheduled' : 'queued',
    input: toJsonText(job.input),
    priority: job.priority,
    max_attempts: job.maxAttempts,
    backoff: JSON.stringify(job.backoff),
    timeout_ms: job.timeoutMs ?? null,
    idempotency_key: job.idempotencyKey ?? null,
    metadata: job.metadata === undefined ? null : JSON.stringify(job.metadata),
    tenant: job.tenant ?? null,
    created_at: now,
    run_at: runAt,
  };
}

/**
 * The Job a fresh insert stored, built without reading it back: enqueue is hot, and the row holds
 * exactly these values. Input is round-tripped through its stored text so that the result equals
 * what `get` returns later.
 */
export function insertedJob(params: JobInsertParams): Job {
  const job: Job = {
    id: params.id,
    type: params.type,
    queue: params.queue,
    status: params.status,
    input: JSON.parse(params.input),
    priority: params.priority,
    attempts: 0,
    maxAttempts: params.max_attempts,
    backoff: JSON.parse(params.backoff),
    createdAt: params.created_at,
    runAt: params.run_at,
    updatedAt: params.created_at,
  };
  if (params.timeout_ms !== null) job.timeoutMs = params.timeout_ms;
  if (params.idempotency_key !== null) job.idempotencyKey = params.idempotency_key;
  if (params.metadata !== null) job.metadata = JSON.parse(params.metadata);
  if (params.tenant !== null) job.tenant = params.tenant;
  return job;
}

/** What a claim reads back (see CLAIM_RETURNING): a leased row, without output and progress. */
export type ClaimedRow = Omit<JobRow, 'status' | 'output' | 'progress' | 'lease_token' | 'lease_expires_at' | 'worker_id'> & {
  lease_token: string;
  lease_expires_at: number;
  worker_id: string;
};

/**
 * Row of a job a claim just leased -> ClaimedJob, built in one object literal (claims are hot: no
 * intermediate Job and no spread). Same fields as rowToJob plus the lease; a claimed row has no
 * output or progress.
 */
export function rowToClaimedJob(row: ClaimedRow): ClaimedJob {
  const job: ClaimedJob = {
    id: row.id,
    type: row.type,
    queue: row.queue,
    status: 'running',
    input: JSON.parse(row.input),
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    backoff: JSON.parse(row.backoff),
    createdAt: row.created_at,
    runAt: row.run_at,
    updatedAt: row.updated_at,
    leaseToken: row.lease_token,
    leaseExpiresAt: row.lease_expires_at,
    workerId: row.worker_id,
  };
  if (row.error !== null) job.error = JSON.parse(row.error) as JobError;
  if (row.timeout_ms !== null) job.timeoutMs = row.timeout_ms;
  if (row.idempotency_key !== null) job.idempotencyKey = row.idempotency_key;
  if (row.metadata !== null) job.metadata = JSON.parse(row.metadata);
  if (row.tenant !== null) job.tenant = row.tenant;
  if (row.started_at !== null) job.startedAt = row.started_at;
  if (row.finished_at !== null) job.finishedAt = row.finished_at;
  return job;
}
