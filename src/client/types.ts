import type { JobStatus, StatusCounts } from '../core/job.js';
import type { ListInclude } from '../core/listed-job.js';
import type { ListedJobJson } from '../core/listed-job-json.js';

/**
 * Wire types of the HTTP API beyond the job itself (JobJson and JobSpec come from the core zod
 * schemas). Every optional field also takes `undefined`, so callers can pass flags straight through.
 */
export interface ListJobsParams {
  queue?: string | undefined;
  status?: JobStatus | undefined;
  type?: string | undefined;
  /** 1..1000, server default 50. */
  limit?: number | undefined;
  /** The nextCursor of the previous page. */
  cursor?: string | undefined;
  /** Also send these fields of each job (by default a page carries neither, only their sizes). */
  include?: readonly ListInclude[] | undefined;
}

export type DeadLetterParams = Omit<ListJobsParams, 'status'>;

export interface JobPage {
  /** Summaries: input and output only when `include` named them; inputBytes / outputBytes always. */
  jobs: ListedJobJson[];
  /** Present when there may be more: pass it as `cursor`. */
  nextCursor?: string;
}

export interface QueueJson {
  name: string;
  paused: boolean;
  counts: StatusCounts;
  /** Age of the oldest queued job in ms (0 when none): the queue's lag. */
  oldestQueuedAgeMs: number;
}

export interface QueueList {
  queues: QueueJson[];
}

export interface QueueState {
  name: string;
  paused: boolean;
}

export interface RedriveParams {
  queue?: string | undefined;
  type?: string | undefined;
  ids?: string[] | undefined;
  limit?: number | undefined;
  /** The redriven jobs get this many attempts. */
  maxAttempts?: number | undefined;
  /** The redriven jobs get this attempt timeout. */
  timeoutMs?: number | undefined;
}

export interface RedriveResult {
  redriven: number;
}
