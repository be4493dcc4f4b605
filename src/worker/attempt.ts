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
 * Where an attempt is: `waiting` (claimed ahead, under lease, for a free slot), `running` (handler
 * active), `settling` (result being written), `done`. An aborted attempt goes straight to `done`.
 */
export type AttemptPhase = 'waiting' | 'running' | 'settling' | 'done';

/**
 * One attempt at one claimed job: its lease, its abort signal and its timeout. `run` races the
 * handler against abort (timeout, lost lease, cancel, shutdown), so a handler that ignores its
 * signal cannot hold the worker (its late result is dropped; the backend would fence it out anyway).
 *
 * The AbortController is made only when someone reads `signal` (most short handlers never do), and
 * the race is decided by abort() itself rather than by a listener on the signal: an AbortController
 * and an event listener per job were a tenth of the worker's own cost per job.
 */
export class Attempt {
  readonly job: ClaimedJob;
  /** Clock time the handler began (for durations in events); the claim time while waiting. */
  startedAt: number;
  phase: AttemptPhase;
  private leaseGone = false;
  private controller: AbortController | undefined;
  /** Why the attempt was aborted, once it was (the signal, when it exists, carries the same reason). */
  private abortReason: SluiceError | undefined;
  /** Decides the race of a running `run()` on abort. */
  private onAbort: ((reason: SluiceError) => void) | undefined;

  /** `waiting` for a job claimed ahead of a free slot (see Worker's prefetch); `begin` starts it. */
  constructor(job: ClaimedJob, now: number, phase: 'waiting' | 'running' = 'running') {
    this.job = job;
    this.startedAt = now;
    this.phase = phase;
  }

  /** A waiting attempt got its slot: it runs from now on. */
  begin(now: number): void {
    this.phase = 'running';
    this.startedAt = now;
  }

  get lease(): LeaseRef {
    return { id: this.job.id, leaseToken: this.job.leaseToken };
  }

  /** Fires on abort with the reason; made on first use, already aborted if the attempt was. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** True once abort() has fired (whether or not anyone holds the signal). */
  get aborted(): boolean {
    return this.abortReason !== undefined;
  }

  /** Why abort() fired, once it has. */
  get abortedBy(): SluiceError | undefined {
    return this.abortReason;
  }

  /** True while this worker still believes it holds the lease (heartbeats extend it). */
  get holdsLease(): boolean {
    return this.phase !== 'done' && !this.leaseGone;
  }

  /**
   * Aborts with `reason`, unless the handler already finished or the attempt was aborted before.
   * A waiting attempt keeps the reason: it never runs (its `run` resolves aborted at once).
   */
  abort(reason: SluiceError): void {
    if ((this.phase !== 'running' && this.phase !== 'waiting') || this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    this.onAbort?.(reason);
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
   * Runs the handler with a timeout. Resolves when the handler settles or the attempt is aborted,
   * whichever comes first; never rejects.
   */
  run(
    handle: HandlerFunction<never, unknown>,
    timeoutMs: number,
    output: Pick<HandlerContext, 'progress' | 'emit'>,
  ): Promise<AttemptOutcome> {
    const attempt = this;
    const context: HandlerContext = {
      job: this.job,
      get signal() {
        return attempt.signal;
      },
      progress: output.progress,
      emit: output.emit,
    };
    return new Promise<AttemptOutcome>((resolve) => {
      const timer = setTimeout(() => this.abort(timeoutReason(timeoutMs)), timeoutMs);
      const finish = (outcome: AttemptOutcome) => {
        if (this.phase !== 'running') return; // the race is decided; a late result is dropped
        this.phase = outcome.kind === 'aborted' ? 'done' : 'settling';
        this.onAbort = undefined;
        clearTimeout(timer);
        resolve(outcome);
      };
      this.onAbort = (reason) =>
        finish(abortKind(reason) === 'timeout' ? { kind: 'threw', error: reason } : { kind: 'aborted', reason });
      if (this.abortReason !== undefined) {
        this.onAbort(this.abortReason);
        return;
      }
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
