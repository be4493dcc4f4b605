/**
 * The job model. Timestamps are milliseconds since the Unix epoch; the HTTP layer renders them as
 * ISO strings (see job-json.ts).
 */
export const JOB_STATUSES = ['scheduled', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export interface BackoffPolicy {
  /** `exponential`: base * 2^(attempt-1); `fixed`: always base. */
  type: 'exponential' | 'fixed';
  /** Base delay in ms. */
  delayMs: number;
  /** Upper bound of one delay in ms. */
  maxDelayMs: number;
  /** `full`: a uniform random delay in [0, computed] (AWS "full jitter"); `none`: exact. */
  jitter: 'full' | 'none';
}

/** Why an attempt or a job failed. */
export interface JobError {
  code: string;
  message: string;
  /** True when the failure ended the job regardless of attempts left. */
  permanent?: boolean;
}

export interface Job {
  id: string;
  type: string;
  queue: string;
  status: JobStatus;
  input: unknown;
  output?: unknown;
  /** The last attempt's error (kept on retry, so the history is visible). */
  error?: JobError;
  progress?: unknown;
  priority: number;
  /** Attempts started so far (a claim starts one). */
  attempts: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  timeoutMs?: number;
  idempotencyKey?: string;
  metadata?: Record<string, unknown>;
  /** Owning tenant when API keys are in use; undefined for single-tenant use. */
  tenant?: string;
  createdAt: number;
  /** When the job becomes (or became) claimable. */
  runAt: number;
  startedAt?: number;
  finishedAt?: number;
  updatedAt: number;
}

/** A job handed to a worker: the job plus the lease that fences this attempt. */
export interface ClaimedJob extends Job {
  status: 'running';
  leaseToken: string;
  leaseExpiresAt: number;
  workerId: string;
}

/**
 * Claim order inside a queue: higher priority first, then the oldest runAt, then the id (UUIDv7:
 * creation order). Adapters sort what a claim returns with it (RETURNING and scripts promise no order).
 */
export function compareClaimOrder(a: ClaimOrderKey, b: ClaimOrderKey): number {
  return b.priority - a.priority || a.runAt - b.runAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The fields claim order looks at. */
export interface ClaimOrderKey {
  priority: number;
  runAt: number;
  id: string;
}

/** Counts of jobs per state in one queue. */
export type StatusCounts = Record<JobStatus, number>;

export function emptyCounts(): StatusCounts {
  return { scheduled: 0, queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
}

export interface QueueStats {
  name: string;
  paused: boolean;
  counts: StatusCounts;
  /** Age in ms of the oldest job waiting in `queued` (0 when none): the queue's lag. */
  oldestQueuedAgeMs: number;
}
