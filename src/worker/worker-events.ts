import type { SluiceError } from '../core/errors.js';
import type { ClaimedJob, Job, JobError } from '../core/job.js';

/** The backend call during which a worker met an error. */
export type WorkerErrorPhase = 'claim' | 'heartbeat' | 'settle' | 'release' | 'progress' | 'output';

/**
 * What a Worker reports, for metrics, logs and tests (which wait on these instead of sleeping).
 * Settlement events (`job:succeeded`, `job:retry`, `job:failed`, `job:lost`, `job:released`) fire
 * after the backend has taken the write; each attempt ends in exactly one of them, or in none when
 * the write could not be made at all (an `error` with `during: 'settle'`; the lease then runs out
 * and the job is run again). `durationMs` is the handler's time, from its start to its end.
 *
 * `job` in `job:started`, `job:lost` and `job:released` is the job as claimed (status `running`,
 * with its lease). In `job:succeeded`, `job:retry` and `job:failed` it is the job as the attempt left
 * it, built by the worker from what it wrote (see `endedJob`: times are the worker's clock).
 */
export interface WorkerEventMap {
  /** A handler began an attempt. `job.attempts` counts this attempt. */
  'job:started': { job: ClaimedJob };
  /** The attempt's output is stored; the job succeeded. `job`: status `succeeded`, `output`,
   * `finishedAt`. */
  'job:succeeded': { job: Job; output: unknown; durationMs: number };
  /** The attempt failed and the job waits `delayMs` for another attempt. `job`: status `scheduled`
   * (`queued` when `delayMs` is 0), `error`, `runAt` when it may run again. */
  'job:retry': { job: Job; error: JobError; delayMs: number; durationMs: number };
  /** The attempt failed and the job ended `failed` (dead-letter queue): attempts used up, a
   * permanent error, or an output the backend could not keep. `job`: status `failed`, `error`,
   * `finishedAt`. */
  'job:failed': { job: Job; error: JobError; durationMs: number };
  /** The attempt lost its lease (cancelled, reclaimed, or fenced out on write): nothing of it was
   * stored. `reason.code` says which (SLUICE_CANCELLED or SLUICE_LEASE_LOST). */
  'job:lost': { job: ClaimedJob; reason: SluiceError };
  /** Handed back to the queue at shutdown without counting the attempt (it waits `queued`). */
  'job:released': { job: ClaimedJob };
  /** A backend call failed; the worker logs it and carries on (retrying where that makes sense). */
  error: { error: unknown; during: WorkerErrorPhase };
  /** stop() has finished: nothing runs and no timer is left. */
  stopped: Record<string, never>;
}
