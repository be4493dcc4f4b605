import type { WorkerJobStore } from '../core/backend.js';
import { leaseLostReason } from './abort-reasons.js';
import type { Attempt, AttemptOutcome } from './attempt.js';
import { BatchCollector } from './batch-collector.js';
import type { HandlerDefinition, HandlerFunction } from './handler.js';
import type { Outcomes } from './outcomes.js';
import { appendOutputOf, type OutputLogDeclaration, OutputStream, type OutputStreamParts } from './output-stream.js';
import type { Slots } from './slots.js';
import type { TypedEmitter } from './typed-emitter.js';
import type { WorkerErrorPhase, WorkerEventMap } from './worker-events.js';
import type { ResolvedWorkerOptions } from './worker-options.js';

export interface AttemptRunnerParts {
  store: Pick<WorkerJobStore, 'reportProgress'> & OutputLogDeclaration;
  options: Pick<
    ResolvedWorkerOptions,
    'handlers' | 'clock' | 'defaultTimeoutMs' | 'emitFlushMs' | 'emitMaxChunks' | 'emitMaxBytes' | 'logger' | 'workerId'
  >;
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
 * handler is done, writes the output and progress still buffered (output-stream.ts), then settles
 * the outcome.
 */
export class AttemptRunner {
  /** Batching windows by job type (handlers that declare `batch`). */
  private readonly collectors = new Map<string, BatchCollector>();
  private readonly appendOutput: OutputStreamParts['appendOutput'];
  private warnedNoEventLog = false;

  constructor(private readonly parts: AttemptRunnerParts) {
    this.appendOutput = appendOutputOf(parts.store);
  }

  async run(attempt: Attempt): Promise<void> {
    const { options, slots, emitter } = this.parts;
    const job = attempt.job;
    const definition = options.handlers.get(job.type);
    if (!definition) throw new Error(`no handler for ${job.type}`); // the worker lets only handled types wait
    slots.take(job.type);
    attempt.begin(options.clock.now());
    // Made on the first emit or progress: most handlers report neither.
    let stream: OutputStream | undefined;
    const streamOf = () => {
      stream ??= this.outputStream(attempt);
      return stream;
    };
    let outcome: AttemptOutcome;
    try {
      emitter.emit('job:started', { job });
      const timeoutMs = job.timeoutMs ?? definition.timeoutMs ?? options.defaultTimeoutMs;
      outcome = await attempt.run(this.handlerOf(job.type, definition), timeoutMs, {
        progress: async (progress) => {
          if (attempt.phase !== 'running' || attempt.aborted) throw leaseLostReason(job.id);
          return streamOf().reportProgress(progress);
        },
        emit: (chunk) => {
          if (attempt.phase !== 'running' || attempt.aborted) throw leaseLostReason(job.id);
          streamOf().emit(chunk);
        },
      });
    } finally {
      // The slot frees as soon as the handler is done (or abandoned), before the result is written.
      slots.leave(job.type);
      this.parts.onSlotFreed();
    }
    if (stream) outcome = await this.endStream(stream, job.id, outcome);
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

  /** The output line of an attempt: its writes are fenced by the lease; a lost lease aborts the handler. */
  private outputStream(attempt: Attempt): OutputStream {
    const { options, store } = this.parts;
    return new OutputStream({
      lease: attempt.lease,
      limits: { flushMs: options.emitFlushMs, maxChunks: options.emitMaxChunks, maxBytes: options.emitMaxBytes },
      appendOutput: this.appendOutput,
      reportProgress: (params) => store.reportProgress(params),
      onLeaseLost: () => attempt.loseLease(leaseLostReason(attempt.job.id)),
      reportError: this.parts.reportError,
      onNoEventLog: () => this.warnNoEventLog(),
    });
  }

  /**
   * Writes what the stream still holds before the result: every delta precedes the job's end. An
   * aborted attempt writes nothing more; a lease lost on this write makes the attempt lost; output
   * that could not be written fails a finished handler (the stream would have a gap).
   */
  private async endStream(stream: OutputStream, jobId: string, outcome: AttemptOutcome): Promise<AttemptOutcome> {
    if (outcome.kind === 'aborted') {
      stream.discard();
      return outcome;
    }
    const end = await stream.end();
    if (end.kind === 'lease_lost') return { kind: 'aborted', reason: leaseLostReason(jobId) };
    if (end.kind === 'failed' && outcome.kind === 'succeeded') return { kind: 'threw', error: end.error };
    return outcome;
  }

  /**
   * Emitted chunks on a backend without an event log are dropped, with one warning per worker.
   * Not an error: the job's output still carries the whole result, so a handler that streams runs
   * on every backend (as progress does), and nothing could read the chunks there anyway.
   */
  private warnNoEventLog(): void {
    if (this.warnedNoEventLog) return;
    this.warnedNoEventLog = true;
    this.parts.options.logger.warn(
      { workerId: this.parts.options.workerId },
      'ctx.emit: this backend keeps no event log (capabilities.eventLog), so emitted chunks are dropped; job outputs are unchanged',
    );
  }
}
