import type { SluiceError } from '../core/errors.js';
import type { ClaimedJob, JobError } from '../core/job.js';

/** The backend call during which a worker met an error. */
export type WorkerErrorPhase = 'claim' | 'heartbeat' | 'settle' | 'release' | 'progress';

/**
 * What a Worker reports, for metrics, logs and tests (which wait on these instead of sleeping).
 * Settlement events fire after the backend has taken the write.
 */
export interface WorkerEventMap {
  /** A handler began an attempt. */
  'job:started': { job: ClaimedJob };
  /** The attempt's output is stored; the job succeeded. */
  'job:succeeded': { job: ClaimedJob; output: unknown; durationMs: number };
  /** The attempt failed and the job waits `delayMs` for another attempt. */
  'job:retry': { job: ClaimedJob; error: JobError; delayMs: number; durationMs: number };
  /** The attempt failed and the job ended `failed` (dead-letter queue). */
  'job:failed': { job: ClaimedJob; error: JobError; durationMs: number };
  /** The attempt lost its lease (cancelled, reclaimed, or fenced out on write): nothing of it was stored. */
  'job:lost': { job: ClaimedJob; reason: SluiceError };
  /** Handed back to the queue at shutdown without counting the attempt. */
  'job:released': { job: ClaimedJob };
  /** A backend call failed; the worker logs it and carries on (retrying where that makes sense). */
  error: { error: unknown; during: WorkerErrorPhase };
  /** stop() has finished: nothing runs and no timer is left. */
  stopped: Record<string, never>;
}
