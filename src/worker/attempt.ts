import type { LeaseRef } from '../core/backend.js';
import type { SluiceError } from '../core/errors.js';
import type { ClaimedJob } from '../core/job.js';
import { abortKind, timeoutReason } from './abort-reasons.js';
import type { HandlerContext, HandlerFunction } from './handler.js';

/** How the handler part of an attempt ended. */
export type AttemptOutcome =
  /** The handler returned. */
  | { kind: 'succeeded'; output: unknown }
  /** The handler threw, or ran past its timeout (`error` is then the SLUICE_TIMEOUT reason). */
  | { kind: 'threw'; error: unknown }
  /** Lease lost, cancelled or shutdown: this attempt must write nothing more. */
  | { kind: 'aborted'; reason: SluiceError };

/**
 * Where an attempt is: `running` (handler active), `settling` (result being written), `done`.
 * An aborted attempt goes straight to `done`.
 */
export type AttemptPhase = 'running' | 'settling' | 'done';

/**
 * One attempt at one claimed job: its lease, its AbortController and its timeout. `run` races the
 * handler against the abort signal, so a handler that ignores the signal cannot hold the worker
 * (its late result is dropped; the backend would fence it out anyway).
 */
export class Attempt {
  readonly job: ClaimedJob;
  /** Clock time the attempt began (for durations in events). */
  readonly startedAt: number;
  phase: AttemptPhase = 'running';
  private leaseGone = false;
  private readonly controller = new AbortController();

  constructor(job: ClaimedJob, startedAt: number) {
    this.job = job;
    this.startedAt = startedAt;
  }

  get lease(): LeaseRef {
    return { id: this.job.id, leaseToken: this.job.leaseToken };
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True while this worker still believes it holds the lease (heartbeats extend it). */
  get holdsLease(): boolean {
    return this.phase !== 'done' && !this.leaseGone;
  }

  /** Fires the signal with `reason`, unless the handler already finished. */
  abort(reason: SluiceError): void {
    if (this.phase === 'running' && !this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** The lease is no longer ours (reported lost, revoked by a cancel, or superseded by a newer
   * claim of the same job): stop heartbeating it and abort the handler with `reason`. */
  loseLease(reason: SluiceError): void {
    this.leaseGone = true;
    this.abort(reason);
  }

  /** Marks the attempt finished: its lease is no longer this worker's concern. */
  end(): void {
    this.phase = 'done';
  }

  /**
   * Runs the handler with a timeout. Resolves when the handler settles or the signal fires,
   * whichever comes first; never rejects.
   */
  run(
    handle: HandlerFunction<never, unknown>,
    timeoutMs: number,
    progress: (value: unknown) => Promise<void>,
  ): Promise<AttemptOutcome> {
    const signal = this.controller.signal;
    const context: HandlerContext = { job: this.job, signal, progress };
    return new Promise<AttemptOutcome>((resolve) => {
      const timer = setTimeout(() => this.abort(timeoutReason(timeoutMs)), timeoutMs);
      const finish = (outcome: AttemptOutcome) => {
        if (this.phase !== 'running') return; // the race is decided; a late result is dropped
        this.phase = outcome.kind === 'aborted' ? 'done' : 'settling';
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = () => {
        const reason = signal.reason as SluiceError;
        finish(abortKind(reason) === 'timeout' ? { kind: 'threw', error: reason } : { kind: 'aborted', reason });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // Promise.resolve().then turns a synchronous throw into a rejection like any other.
      Promise.resolve()
        .then(() => handle(context as HandlerContext<never>))
        .then(
          (output) => finish({ kind: 'succeeded', output }),
          (error: unknown) => finish({ kind: 'threw', error }),
        );
    });
  }
}
