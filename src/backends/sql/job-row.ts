import type { Job, JobError, JobStatus } from '../../core/job.js';
import type { ListedJob } from '../../core/listed-job.js';

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
  const job = summaryFields(row, now) as Job;
  job.input = JSON.parse(row.input);
  if (row.output !== null) job.output = JSON.parse(row.output);
  return job;
}

/**
 * The select list of a list query: every column but input and output, plus their sizes in bytes
 * from `bytesOf` (the dialect's octet_length, which reads the stored length, not the value), and
 * the full columns only when `include` asks. `prefix` qualifies the columns (`j.`) where needed.
 */
export function listColumns(
  include: { input: boolean; output: boolean },
  bytesOf: (column: string) => string,
  prefix = '',
): string {
  const columns = SUMMARY_COLUMNS.map((c) => prefix + c);
  if (include.input) columns.push(`${prefix}input`);
  if (include.output) columns.push(`${prefix}output`);
  columns.push(`${bytesOf(`${prefix}input`)} AS input_bytes`, `coalesce(${bytesOf(`${prefix}output`)}, 0) AS output_bytes`);
  return columns.join(', ');
}

const SUMMARY_COLUMNS = [
  'id',
  'queue',
  'type',
  'status',
  'error',
  'progress',
  'priority',
  'attempts',
  'max_attempts',
  'backoff',
  'timeout_ms',
  'idempotency_key',
  'metadata',
  'tenant',
  'created_at',
  'run_at',
  'started_at',
  'finished_at',
  'updated_at',
] as const;

/** A row that listColumns selected: input and output only when included, their sizes always. */
export type ListedRow = Omit<JobRow, 'input' | 'output' | 'lease_token' | 'lease_expires_at' | 'worker_id'> & {
  input?: string;
  output?: string | null;
  input_bytes: number;
  output_bytes: number;
};

/** Listed row -> ListedJob: the summary, the sizes, and input / output when the row has them. */
export function rowToListedJob(row: ListedRow, now?: number): ListedJob {
  const job = summaryFields(row, now) as ListedJob;
  job.inputBytes = Number(row.input_bytes);
  job.outputBytes = Number(row.output_bytes);
  if (row.input !== undefined) job.input = JSON.parse(row.input);
  if (row.output !== undefined && row.output !== null) job.output = JSON.parse(row.output);
  return job;
}

/** Every field but input and output (what both a full read and a list summary carry). */
function summaryFields(
  row: Omit<ListedRow, 'input' | 'output' | 'input_bytes' | 'output_bytes'>,
  now?: number,
): Omit<Job, 'input' | 'output'> {
  const job: Omit<Job, 'input' | 'output'> = {
    id: row.id,
    type: row.type,
    queue: row.queue,
    status: effectiveStatus(row, now),
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    backoff: JSON.parse(row.backoff),
    createdAt: row.created_at,
    runAt: row.run_at,
    updatedAt: row.updated_at,
  };
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
