import type { Job, JobStatus, QueueStats } from '../job.js';
import type { ListedJob, ListInclude } from '../listed-job.js';

/** The admin role: read and steer jobs and queues (the API's job routes, the CLI, the dashboard). */
export interface AdminStore {
  get(params: { id: string; tenant?: string | undefined }): Promise<Job | null>;
  /** Newest first; `cursor` is the `nextCursor` of the previous page. Each job is a summary: input
   * and output are read only when `include` names them, their stored sizes always (see ListedJob). */
  list(params: ListParams): Promise<ListResult>;
  /** Cancels a job: waiting jobs at once; a running job ends `cancelled` and its lease is revoked,
   * so the worker's next heartbeat (or the `job:cancelled` event) aborts the handler.
   * Throws NotFoundError, or ConflictError when the job already ended. */
  cancel(params: { id: string; tenant?: string | undefined }): Promise<Job>;
  pauseQueue(params: { queue: string; paused: boolean }): Promise<void>;
  /** Failed jobs back to `queued` with a fresh set of attempts (and the `maxAttempts` / `timeoutMs`
   * given, for every job moved). Returns how many moved. */
  redrive(params: RedriveParams): Promise<number>;
  /** Per-queue counts, pause flag and lag. Queues known by jobs or by a pause flag. */
  stats(params?: { queue?: string | undefined; tenant?: string | undefined }): Promise<QueueStats[]>;
}

/**
 * The output-text role (declared by `capabilities.outputText`): a job's status and its output as
 * the stored JSON text, unparsed, so that GET /v1/jobs/{id}/output can send a large output as it is
 * instead of parsing it and serialising it again. Null when the job is not found (or another
 * tenant's).
 */
export interface OutputTextReader {
  readOutput(params: { id: string; tenant?: string | undefined }): Promise<StoredOutput | null>;
}

/** What `OutputTextReader.readOutput` reads: the status (a due `scheduled` job may read either way)
 * and the output's JSON text. */
export interface StoredOutput {
  status: JobStatus;
  /** Absent when the job has no output. */
  outputJson?: string;
}

export interface ListParams {
  queue?: string | undefined;
  status?: JobStatus | undefined;
  type?: string | undefined;
  tenant?: string | undefined;
  limit: number;
  cursor?: string | undefined;
  /** The large fields to read as well; by default none (a page of summaries). */
  include?: readonly ListInclude[] | undefined;
}

export interface ListResult {
  jobs: ListedJob[];
  nextCursor?: string;
}

export interface RedriveParams {
  queue?: string | undefined;
  type?: string | undefined;
  ids?: string[] | undefined;
  tenant?: string | undefined;
  limit?: number | undefined;
  /** The redriven jobs get this many attempts from now on (validated like the job spec). */
  maxAttempts?: number | undefined;
  /** The redriven jobs get this attempt timeout (validated like the job spec). */
  timeoutMs?: number | undefined;
}
