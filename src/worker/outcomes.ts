import type { FailItem, LeaseRef, WorkerJobStore } from '../core/backend.js';
import type { Clock } from '../core/clock.js';
import { endedJob } from '../core/ended-job.js';
import { ErrorCodes, SluiceError } from '../core/errors.js';
import { decideFailure } from '../core/retry-policy.js';
import { abortKind, leaseLostReason } from './abort-reasons.js';
import type { Attempt, AttemptOutcome } from './attempt.js';
import type { ErrorBackoff } from './error-backoff.js';
import { SettleBatcher } from './settle-batcher.js';
import type { TypedEmitter } from './typed-emitter.js';
import type { WorkerErrorPhase, WorkerEventMap } from './worker-events.js';

/** Retries of a failed settlement or release write before the worker leaves it to lease expiry. */
export const WRITE_RETRIES = 4;
export const WRITE_BACKOFF: ErrorBackoff = { initialMs: 50, maxMs: 2_000 };

export interface OutcomesOptions {
  clock: Clock;
  /** Jitter source for retry backoff. */
  random: () => number;
  reportError: (error: unknown, during: WorkerErrorPhase) => void;
}

/**
 * Writes how each attempt ended and tells the worker's listeners: a success is completed, a failure
 * is classified by core's decideFailure (retry after a backoff, rate limited, permanent, attempts
 * used up) and failed or retried, an aborted attempt writes nothing. Writes go in batches (see
 * SettleBatcher); each settlement event fires once the backend took the write.
 */
export class Outcomes {
  private readonly settler: SettleBatcher;

  constructor(
    store: Pick<WorkerJobStore, 'complete' | 'fail'>,
    private readonly emitter: TypedEmitter<WorkerEventMap>,
    private readonly options: OutcomesOptions,
  ) {
    this.settler = new SettleBatcher(store, {
      retries: WRITE_RETRIES,
      backoff: WRITE_BACKOFF,
      onError: (error) => options.reportError(error, 'settle'),
    });
  }

  async settle(attempt: Attempt, outcome: AttemptOutcome): Promise<void> {
    const job = attempt.job;
    if (outcome.kind === 'aborted') {
      // Lease lost or cancelled: the backend has moved on, so this attempt writes nothing.
      // Shutdown: stop() releases the job.
      if (abortKind(outcome.reason) !== 'shutdown') this.emitter.emit('job:lost', { job, reason: outcome.reason });
      return;
    }
    if (outcome.kind === 'succeeded') {
      const settled = await this.settler.complete({ ...attempt.lease, output: outcome.output });
      const now = this.options.clock.now();
      if (settled.result === 'ok')
        this.emitter.emitLazy('job:succeeded', () => ({
          job: endedJob(job, { outcome: 'succeeded', output: outcome.output }, now),
          output: outcome.output,
          durationMs: this.durationOf(attempt),
        }));
      else if (settled.result === 'failed')
        // The store could not keep the output: the job ended failed, and listeners hear it as such.
        this.emitter.emitLazy('job:failed', () => ({
          job: endedJob(job, { outcome: 'failed', error: settled.error }, now),
          error: settled.error,
          durationMs: this.durationOf(attempt),
        }));
      else if (settled.result === 'lease_lost') this.emitter.emit('job:lost', { job, reason: leaseLostReason(job.id) });
      return;
    }
    const decision = decideFailure(job, outcome.error, this.options.random);
    await this.settleFailure(
      attempt,
      decision.kind === 'retry'
        ? { outcome: 'retry', delayMs: decision.delayMs, error: decision.error }
        : { outcome: 'fail', error: decision.error },
    );
  }

  /** A job of a type this worker has no handler for fails permanently (it must never hang). */
  async settleUnhandled(attempt: Attempt): Promise<void> {
    attempt.phase = 'settling';
    const error = new SluiceError(ErrorCodes.noHandler, `this worker has no handler for job type "${attempt.job.type}"`);
    await this.settleFailure(attempt, { outcome: 'fail', error: { code: error.code, message: error.message, permanent: true } });
  }

  /** Resolves when every settlement asked for so far is written (or given up). */
  drain(): Promise<void> {
    return this.settler.drain();
  }

  private async settleFailure(attempt: Attempt, failure: DistributiveOmit<FailItem, keyof LeaseRef>): Promise<void> {
    const job = attempt.job;
    const { result } = await this.settler.fail({ ...attempt.lease, ...failure });
    if (result === 'lease_lost') {
      this.emitter.emit('job:lost', { job, reason: leaseLostReason(job.id) });
    } else if (result === 'ok') {
      const now = this.options.clock.now();
      const durationMs = this.durationOf(attempt);
      if (failure.outcome === 'retry') {
        const ended = endedJob(job, { outcome: 'retry', error: failure.error, delayMs: failure.delayMs }, now);
        this.emitter.emit('job:retry', { job: ended, error: failure.error, delayMs: failure.delayMs, durationMs });
      } else {
        const ended = endedJob(job, { outcome: 'failed', error: failure.error }, now);
        this.emitter.emit('job:failed', { job: ended, error: failure.error, durationMs });
      }
    }
  }

  private durationOf(attempt: Attempt): number {
    return Math.max(0, this.options.clock.now() - attempt.startedAt);
  }
}

/** Omit that keeps the members of a union apart (plain Omit would merge them). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
