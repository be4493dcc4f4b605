import type { Job, JobError, JobStatus } from '../../core/job.js';

/**
 * The `jobs` row shared by the SQL adapters (SQLite and PostgreSQL keep the same columns): bigint
 * times as numbers, JSON columns as their text (so that SQL NULL and a stored JSON `null` stay apart).
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
  /** The fingerprint of the request that made a job with an idempotency key (NULL without one). */
  request_hash?: string | null;
}

/**
 * Row -> Job. Optional fields are absent (not undefined) when NULL, as exactOptionalPropertyTypes wants.
 * Due `scheduled` jobs are promoted lazily (by the next claim), so a reader that passes `now` sees a
 * due one as what it is: `queued`, waiting in line.
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

/** The status a reader should see: a `scheduled` row whose runAt has come is waiting, i.e. `queued`. */
export function effectiveStatus(row: Pick<JobRow, 'status' | 'run_at'>, now?: number): JobStatus {
  return row.status === 'scheduled' && now !== undefined && row.run_at <= now ? 'queued' : (row.status as JobStatus);
}
