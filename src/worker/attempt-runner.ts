import type { WorkerJobStore } from '../core/backend.js';
import { ErrorCodes, hasErrorCode } from '../core/errors.js';
import { leaseLostReason } from './abort-reasons.js';
import type { Attempt, AttemptOutcome } from './attempt.js';
import { BatchCollector } from './batch-collector.js';
import type { HandlerDefinition, HandlerFunction } from './handler.js';
import type { Outcomes } from './outcomes.js';
import type { Slots } from './slots.js';
import type { TypedEmitter } from './typed-emitter.js';
import type { WorkerErrorPhase, WorkerEventMap } from './worker-events.js';
import type { ResolvedWorkerOptions } from './worker-options.js';

export interface AttemptRunnerParts {
  store: Pick<WorkerJobStore, 'reportProgress'>;
  options: Pick<ResolvedWorkerOptions, 'handlers' | 'clock' | 'defaultTimeoutMs'>;
  slots: Slots;
  outcomes: Outcomes;
  emitter: TypedEmitter<WorkerEventMap>;
  /** A handler is done (or abandoned) and its slot is free again. */
  onSlotFreed: () => void;
  reportError: (error: unknown, during: WorkerErrorPhase) => void;
}

/**
 * Runs one attempt from its slot to its written result: takes the slot, runs the handler (or hands
 * it to its type's batching window) under the attempt's timeout, frees the slot as soon as the
 * handler is done, then settles the outcome.
 */
export class AttemptRunner {
  /** Batching windows by job type (handlers that declare `batch`). */
  private readonly collectors = new Map<string, BatchCollector>();

  constructor(private readonly parts: AttemptRunnerParts) {}

  async run(attempt: Attempt): Promise<void> {
    const { options, slots, emitter } = this.parts;
    const job = attempt.job;
    const definition = options.handlers.get(job.type);
    if (!definition) throw new Error(`no handler for ${job.type}`); // the worker lets only handled types wait
    slots.take(job.type);
    attempt.begin(options.clock.now());
    let outcome: AttemptOutcome;
    try {
      emitter.emit('job:started', { job });
      const timeoutMs = job.timeoutMs ?? definition.timeoutMs ?? options.defaultTimeoutMs;
      outcome = await attempt.run(this.handlerOf(job.type, definition), timeoutMs, (progress) =>
        this.reportProgress(attempt, progress),
      );
    } finally {
      // The slot frees as soon as the handler is done (or abandoned), before the result is written.
      slots.leave(job.type);
      this.parts.onSlotFreed();
    }
    await this.parts.outcomes.settle(attempt, outcome);
  }

  /** Jobs waiting in a batching window run now rather than at the end of the window (stop). */
  flushBatches(): void {
    for (const collector of this.collectors.values()) collector.flush();
  }

  /** The handler function of an attempt: the definition's own, or its batching window's. */
  private handlerOf(type: string, definition: HandlerDefinition<never, unknown>): HandlerFunction<never, unknown> {
    const { batch, handleBatch } = definition;
    if (!batch || !handleBatch) return definition.handle;
    let collector = this.collectors.get(type);
    if (!collector) {
      collector = new BatchCollector(batch, handleBatch);
      this.collectors.set(type, collector);
    }
    return collector.submit;
  }

  /** The handler's `progress(p)`: fenced by the lease; a lost lease aborts the handler. */
  private async reportProgress(attempt: Attempt, progress: unknown): Promise<void> {
    const job = attempt.job;
    if (attempt.phase !== 'running' || attempt.aborted) throw leaseLostReason(job.id);
    try {
      await this.parts.store.reportProgress({ ...attempt.lease, progress });
    } catch (error) {
      if (hasErrorCode(error, ErrorCodes.leaseLost)) {
        attempt.loseLease(leaseLostReason(job.id));
        throw error;
      }
      // Progress is best effort: a backend hiccup must not fail the job.
      this.parts.reportError(error, 'progress');
    }
  }
}
