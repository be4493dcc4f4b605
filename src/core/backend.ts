import type { SluiceEvents } from './events.js';
import type { MismatchPolicy } from './idempotency-mismatch.js';
import type { ClaimedJob, Job, JobError, JobStatus, QueueStats } from './job.js';
import type { ListedJob, ListInclude } from './listed-job.js';
import type { NewJob } from './new-job.js';
import type { RateBudgetAction, RateBudgetResult } from './rate-budget.js';
import type { RecordUsageParams, UsageParams, UsageTotals } from './usage.js';

/**
 * The Backend port: what a storage adapter must do, shaped by the job lifecycle.
 *
 * Rules every adapter follows (the conformance suite proves them):
 * - Each operation is atomic. Time (runAt, lease expiry) is decided by the backend's own clock.
 * - Attempt-scoped writes (heartbeat, complete, fail, reportProgress, release) are fenced by the
 *   lease token: a write whose token is not the job's current one changes nothing and reports
 *   `lease_lost` (batch calls) or throws LeaseLostError (single calls).
 * - Batches are one round trip / one transaction: the worker sends claims and settlements in bulk.
 * - Tenant scoping: when `tenant` is given, jobs of other tenants are invisible (not found).
 */
export interface Backend {
  /** Short adapter name for logs and metrics (`sqlite`, `postgres`, ...). */
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  /** Emits after changes are durable; see SluiceEventMap. */
  readonly events: SluiceEvents;

  /** Stores jobs atomically (all or none). A job whose idempotency key (per queue) exists returns
   * the first job with `created: false`. Results are in input order. */
  enqueue(params: EnqueueParams): Promise<EnqueueResult[]>;
  /** Atomically leases up to `limit` due jobs: highest priority first, then oldest runAt.
   * Starts an attempt on each (attempts + 1). Paused queues are skipped. */
  claim(params: ClaimParams): Promise<ClaimedJob[]>;
  /**
   * Optional (declared by `capabilities.claimById`): leases exactly the listed jobs, those of them
   * that are claimable now (queued, or scheduled and due; queue not paused; type in `types`), in one
   * atomic batch. Ids that are not claimable (unknown, already running, ended, not yet due) are
   * skipped, not errors: a transport that delivers job ids (RabbitMQ) uses this to turn a delivery
   * into a fenced lease, so a duplicate or stale delivery can never start a second attempt.
   * Returns the leased jobs in claim order; an id listed twice is leased once.
   */
  claimIds?(params: ClaimIdsParams): Promise<ClaimedJob[]>;
  /**
   * Optional (declared by `capabilities.rateBudgets`): applies a rate-budget action (see
   * core/rate-budget.ts: the policy) to the stored state of `scope` in one atomic step, with the
   * backend's clock, so that provider limits hold for every worker sharing this backend.
   */
  updateRateBudget?(params: UpdateRateBudgetParams): Promise<RateBudgetResult>;
  /**
   * Optional (declared by `capabilities.usage`): appends provider-call usage entries (tokens, cost)
   * in one round trip. An entry without `at` is stamped with the backend's clock. Usage rows are
   * not removed by `purgeFinished` (they outlive the jobs they were charged to).
   */
  recordUsage?(params: RecordUsageParams): Promise<void>;
  /**
   * Optional (declared by `capabilities.usage`): token and cost totals of the entries matching the
   * filters (`since` inclusive, `until` exclusive), aggregated by the storage, with breakdowns by
   * queue, tenant (only when not scoped to one tenant), provider and model.
   */
  usage?(params: UsageParams): Promise<UsageTotals>;
  /** Extends leases. Reports which leases are gone (expired and reclaimed, cancelled, finished). */
  heartbeat(params: HeartbeatParams): Promise<HeartbeatResult>;
  /** Ends attempts successfully. */
  complete(params: CompleteParams): Promise<SettleOutcome[]>;
  /** Ends attempts with a failure: retry after a delay (`scheduled`), or fail (dead-letter). */
  fail(params: FailParams): Promise<SettleOutcome[]>;
  /** Gives leased jobs back without counting the attempt (graceful shutdown). */
  release(params: ReleaseParams): Promise<SettleOutcome[]>;
  /** Records progress / partial output of a running attempt. Throws LeaseLostError. */
  reportProgress(params: ProgressParams): Promise<void>;
  /** Cancels a job: waiting jobs at once; a running job ends `cancelled` and its lease is revoked,
   * so the worker's next heartbeat (or the `job:cancelled` event) aborts the handler.
   * Throws NotFoundError, or ConflictError when the job already ended. */
  cancel(params: { id: string; tenant?: string | undefined }): Promise<Job>;
  get(params: { id: string; tenant?: string | undefined }): Promise<Job | null>;
  /**
   * Optional (declared by `capabilities.outputText`): a job's status and its output as the stored
   * JSON text, unparsed, so that GET /v1/jobs/{id}/output can send a large output as it is instead
   * of parsing it and serialising it again. Null when the job is not found (or another tenant's).
   */
  readOutput?(params: { id: string; tenant?: string | undefined }): Promise<StoredOutput | null>;
  /** Newest first; `cursor` is the `nextCursor` of the previous page. Each job is a summary: input
   * and output are read only when `include` names them, their stored sizes always (see ListedJob). */
  list(params: ListParams): Promise<ListResult>;
  pauseQueue(params: { queue: string; paused: boolean }): Promise<void>;
  /** Failed jobs back to `queued` with a fresh set of attempts (and the `maxAttempts` / `timeoutMs`
   * given, for every job moved). Returns how many moved. */
  redrive(params: RedriveParams): Promise<number>;
  /** Running jobs whose lease expired go back to `queued` (or `failed` when out of attempts). */
  reclaimExpired(params?: { limit?: number }): Promise<ReclaimResult>;
  /** Deletes finished jobs older than the given ages. Returns how many went. */
  purgeFinished(params: PurgeParams): Promise<number>;
  /** Per-queue counts, pause flag and lag. Queues known by jobs or by a pause flag. */
  stats(params?: { queue?: string | undefined; tenant?: string | undefined }): Promise<QueueStats[]>;
  /** Throws when the backend cannot serve (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface BackendCapabilities {
  /** `events` also carries changes made by other processes (e.g. LISTEN/NOTIFY). */
  crossProcessEvents: boolean;
  /** Several processes on several machines may share this backend. */
  multiMachine: boolean;
  /** `updateRateBudget` is implemented (fleet-wide provider limits). Absent = false. */
  rateBudgets?: boolean;
  /** `readOutput` is implemented. Absent = false. */
  outputText?: boolean;
  /** `claimIds` is implemented. Absent = false. */
  claimById?: boolean;
  /** `recordUsage` and `usage` are implemented (token and cost accounting). Absent = false. */
  usage?: boolean;
  /**
   * Claims follow the priority / runAt order exactly, across calls and handles. Absent = true.
   * False for a broker transport (RabbitMQ): its priorities are coarse buckets and delivery order
   * is the broker's, so only the jobs handed out in one claim call are sorted among themselves.
   */
  strictOrder?: boolean;
  /**
   * `enqueue` does its write in the calling thread and settles within the event-loop turn it starts
   * in (an embedded store). Callers that gather concurrent writes use it to wait for the end of the
   * turn, which only pays off when no write is ever in flight across turns. Absent = false.
   */
  synchronousWrites?: boolean;
}

/** Parameters of `Backend.claimIds`. */
export interface ClaimIdsParams {
  ids: string[];
  /** Only these job types; undefined = any type. */
  types?: string[] | undefined;
  leaseMs: number;
  workerId: string;
}

/** Parameters of `Backend.updateRateBudget`. */
export interface UpdateRateBudgetParams {
  /** One provider's budgets, e.g. `provider:openai`. */
  scope: string;
  action: RateBudgetAction;
}

export interface EnqueueParams {
  jobs: NewJob[];
  /**
   * An adapter-specific handle on the caller's own open transaction (a pg `PoolClient` for
   * PostgreSQL): the jobs are written inside it and exist only if the caller commits.
   * Adapters that cannot do this throw a SluiceError (SLUICE_VALIDATION, field `connection`).
   */
  connection?: unknown;
  /**
   * A key that matches a job stored for a different request: `reject` throws
   * SLUICE_IDEMPOTENCY_MISMATCH and stores none of the batch; `report` (the default) stores the
   * rest and answers that job with the stored hash. See MismatchPolicy.
   */
  mismatch?: MismatchPolicy;
}

export interface EnqueueResult {
  job: Job;
  /** False when an idempotency key matched an existing job. */
  created: boolean;
  /**
   * When `created` is false: the request hash stored with the existing job (absent for a job
   * stored without one). The facade compares it with the new request's.
   */
  requestHash?: string;
}

export interface ClaimParams {
  queues: string[];
  /** Only these job types (the handlers this worker has); undefined = any type. */
  types?: string[] | undefined;
  limit: number;
  leaseMs: number;
  workerId: string;
}

export interface LeaseRef {
  id: string;
  leaseToken: string;
}

export interface HeartbeatParams {
  leases: LeaseRef[];
  leaseMs: number;
}

export interface HeartbeatResult {
  /** Ids whose lease is no longer held: the worker must abort those handlers. */
  lost: string[];
}

export interface CompleteParams {
  items: Array<LeaseRef & { output: unknown }>;
}

export type FailItem = LeaseRef & ({ outcome: 'retry'; delayMs: number; error: JobError } | { outcome: 'fail'; error: JobError });

export interface FailParams {
  items: FailItem[];
}

export interface ReleaseParams {
  items: LeaseRef[];
}

/**
 * How one settlement went:
 * - `ok`: written as asked;
 * - `lease_lost`: the token was not current; nothing was written;
 * - `failed` (complete only): the attempt ended, but the store could not keep its output (over the
 *   store's size limit), so the job ended `failed` with `error`, permanently. Callers learn it here
 *   rather than from a `job:finished` listener, which would make every completion read rows back.
 */
export type SettleOutcome = { id: string; result: 'ok' | 'lease_lost' } | { id: string; result: 'failed'; error: JobError };

export interface ProgressParams extends LeaseRef {
  progress: unknown;
}

/** What `Backend.readOutput` reads: the status (a due `scheduled` job may read either way) and the
 * output's JSON text. */
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

export interface ReclaimResult {
  requeued: number;
  failed: number;
}

export interface PurgeParams {
  /** Delete succeeded and cancelled jobs that finished more than this long ago. */
  finishedOlderThanMs: number;
  /** Delete failed (dead-letter) jobs older than this; defaults to finishedOlderThanMs. */
  failedOlderThanMs?: number | undefined;
  limit?: number | undefined;
}
