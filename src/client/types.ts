import type { JobStatus, StatusCounts } from '../core/job.js';
import type { JobJson } from '../core/job-json.js';

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
}

export type DeadLetterParams = Omit<ListJobsParams, 'status'>;

export interface JobPage {
  jobs: JobJson[];
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
}

export interface RedriveResult {
  redriven: number;
}
