import type { AppendOutputParams, BackendCapabilities, EventLogStore, LeaseRef, ProgressParams } from '../core/backend.js';
import { ErrorCodes, hasErrorCode, LeaseLostError, ValidationError } from '../core/errors.js';
import { toBoundedJson } from '../core/json-bounds.js';
import { type ErrorBackoff, errorBackoffMs } from './error-backoff.js';

/** What the worker reads of its backend to write output: the event log, when it declares one. */
export interface OutputLogDeclaration {
  readonly capabilities?: Pick<BackendCapabilities, 'eventLog'>;
  appendOutput?: EventLogStore['appendOutput'];
}

/** The backend's `appendOutput` when it declares `capabilities.eventLog`; undefined otherwise. */
export function appendOutputOf(backend: OutputLogDeclaration): OutputStreamParts['appendOutput'] {
  if (backend.capabilities?.eventLog !== true || !backend.appendOutput) return undefined;
  return (params) => backend.appendOutput!(params);
}

/** How an attempt's output and progress are gathered into writes (worker options `emit*`). */
export interface OutputStreamLimits {
  /** Least time between the starts of two writes. */
  flushMs: number;
  /** Most chunks in one `appendOutput`; a buffer this full is written without waiting. */
  maxChunks: number;
  /** Most JSON bytes of chunks in one `appendOutput`, and so of one chunk. */
  maxBytes: number;
}

export interface OutputStreamParts {
  lease: LeaseRef;
  limits: OutputStreamLimits;
  /** The event log's append; undefined when the backend keeps no event log. */
  appendOutput: ((params: AppendOutputParams) => Promise<unknown>) | undefined;
  reportProgress: (params: ProgressParams) => Promise<void>;
  /** A write answered LeaseLostError: the attempt must stop (the runner aborts its handler). */
  onLeaseLost: () => void;
  /** A write failed for another reason (reported; output is retried, progress is best effort). */
  reportError: (error: unknown, during: 'progress' | 'output') => void;
  /** A chunk was emitted on a backend without an event log (it is dropped). */
  onNoEventLog: () => void;
}

/** How the stream ended: everything written, the lease lost, or output that could not be written. */
export type OutputStreamEnd = { kind: 'flushed' } | { kind: 'lease_lost' } | { kind: 'failed'; error: unknown };

/** Failed output writes in a row before the stream gives up (the attempt then fails). */
export const OUTPUT_WRITE_RETRIES = 4;
const OUTPUT_BACKOFF: ErrorBackoff = { initialMs: 50, maxMs: 2_000 };

interface ProgressWaiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The output line of one attempt: `ctx.emit(chunk)` and `ctx.progress(p)` gathered into few
 * writes, so that a token stream does not cost a commit per token. The first write goes out at
 * once (a reader sees the first token without delay); after it, writes start at most once per
 * `flushMs`, or sooner when `maxChunks` or `maxBytes` are buffered, and never two at once, so
 * chunks keep their order. One write is one `appendOutput` with every chunk buffered (up to the
 * limits) and then one `reportProgress` with the latest progress (earlier ones are superseded).
 * `end()` writes what is left before the attempt's result; `discard()` drops it.
 */
export class OutputStream {
  private chunks: unknown[] = [];
  private sizes: number[] = [];
  private bufferedBytes = 0;
  private progress: { value: unknown; waiters: ProgressWaiter[] } | undefined;
  private writing = false;
  /** A microtask will start a write (chunks emitted in one turn go together). */
  private queued = false;
  /** Set while the last write's `flushMs` (or its failure's backoff) has not passed. */
  private cooling: NodeJS.Timeout | undefined;
  /** The cool-down is a failed write's backoff: no write starts before it ends, full or ending. */
  private backingOff = false;
  private failures = 0;
  private state: 'open' | 'ending' | 'lease_lost' | 'failed' | 'discarded' = 'open';
  private failure: unknown;
  private ended: Array<() => void> = [];

  constructor(private readonly parts: OutputStreamParts) {}

  /**
   * Buffers one chunk. Throws a ValidationError naming `chunk` when it is not plain JSON or is
   * larger than `maxBytes` (the stream is unchanged), and LeaseLostError once the lease is gone.
   */
  emit(chunk: unknown): void {
    const { text, bytes } = this.checked(chunk);
    if (this.state === 'lease_lost') throw new LeaseLostError(this.parts.lease.id);
    if (this.state !== 'open') return; // failed: the attempt fails at its end anyway
    if (!this.parts.appendOutput) {
      this.parts.onNoEventLog();
      return;
    }
    // A copy of an object: the handler may change it before the write.
    this.chunks.push(typeof chunk === 'object' && chunk !== null ? JSON.parse(text) : chunk);
    this.sizes.push(bytes);
    this.bufferedBytes += bytes;
    this.schedule();
  }

  /**
   * Sets the progress to write with the next write. Resolves once it (or a later value) is
   * written; rejects with LeaseLostError when the lease is gone. Other write failures resolve:
   * progress is best effort, a backend hiccup must not fail the job.
   */
  reportProgress(value: unknown): Promise<void> {
    if (this.state === 'lease_lost') return Promise.reject(new LeaseLostError(this.parts.lease.id));
    if (this.state === 'discarded' || this.state === 'failed') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiters = this.progress?.waiters ?? [];
      waiters.push({ resolve, reject });
      this.progress = { value, waiters };
      this.schedule();
    });
  }

  /** Writes everything buffered now, without waiting for `flushMs`; resolves with how it ended. */
  async end(): Promise<OutputStreamEnd> {
    if (this.state === 'open') this.state = 'ending';
    if (this.state === 'ending' && (this.writing || this.hasPending())) {
      await new Promise<void>((resolve) => {
        this.ended.push(resolve);
        this.schedule();
      });
    }
    this.stopCooling();
    if (this.state === 'lease_lost') return { kind: 'lease_lost' };
    if (this.state === 'failed') return { kind: 'failed', error: this.failure };
    return { kind: 'flushed' };
  }

  /** The attempt was aborted: nothing more is written (a write in flight still lands or fails). */
  discard(): void {
    if (this.state === 'open' || this.state === 'ending') this.state = 'discarded';
    this.dropBuffer();
    this.settleProgress(undefined);
    this.stopCooling();
    this.finishEnd();
  }

  private checked(chunk: unknown): { text: string; bytes: number } {
    let text: string;
    try {
      text = toBoundedJson(chunk, 'chunk');
    } catch (error) {
      throw new ValidationError(`emit: ${error instanceof Error ? error.message : String(error)}`, 'chunk');
    }
    const bytes = Buffer.byteLength(text);
    const { maxBytes } = this.parts.limits;
    if (bytes > maxBytes) {
      throw new ValidationError(`emit: chunk: ${bytes} bytes as JSON, at most ${maxBytes} (worker option emitMaxBytes)`, 'chunk');
    }
    return { text, bytes };
  }

  private hasPending(): boolean {
    return this.chunks.length > 0 || this.progress !== undefined;
  }

  private full(): boolean {
    return this.chunks.length >= this.parts.limits.maxChunks || this.bufferedBytes >= this.parts.limits.maxBytes;
  }

  /** Starts a write when one may start: none in flight, and the cool-down over (unless full or ending). */
  private schedule(): void {
    if (this.writing || this.queued || this.backingOff || !this.hasPending()) return;
    if (this.cooling && this.state === 'open' && !this.full()) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      void this.write();
    });
  }

  private async write(): Promise<void> {
    if (this.writing) return;
    if ((this.state !== 'open' && this.state !== 'ending') || !this.hasPending()) {
      this.finishEnd();
      return;
    }
    this.writing = true;
    this.cool(this.parts.limits.flushMs);
    const batch = this.take();
    const progress = this.progress;
    this.progress = undefined;
    try {
      if (batch.chunks.length > 0) await this.writeOutput(batch);
      if (progress) await this.writeProgress(progress.value, progress.waiters);
    } finally {
      this.writing = false;
    }
    if (this.state === 'ending' && !this.hasPending()) this.finishEnd();
    else if (this.state === 'open' || this.state === 'ending') this.schedule();
    else this.finishEnd();
  }

  /** The chunks of the next write, in order, within maxChunks and maxBytes. */
  private take(): { chunks: unknown[]; sizes: number[] } {
    const { maxChunks, maxBytes } = this.parts.limits;
    let count = 0;
    let bytes = 0;
    while (count < this.chunks.length && count < maxChunks && (count === 0 || bytes + this.sizes[count]! <= maxBytes)) {
      bytes += this.sizes[count]!;
      count += 1;
    }
    this.bufferedBytes -= bytes;
    return { chunks: this.chunks.splice(0, count), sizes: this.sizes.splice(0, count) };
  }

  private async writeOutput({ chunks, sizes }: { chunks: unknown[]; sizes: number[] }): Promise<void> {
    const append = this.parts.appendOutput;
    if (!append) return;
    try {
      await append({ ...this.parts.lease, chunks });
      this.failures = 0;
    } catch (error) {
      if (hasErrorCode(error, ErrorCodes.leaseLost)) {
        this.loseLease();
        return;
      }
      this.parts.reportError(error, 'output');
      this.failures += 1;
      if (this.failures > OUTPUT_WRITE_RETRIES) {
        // Chunks left out would leave a gap in the stream: the attempt fails (and is retried).
        this.state = 'failed';
        this.failure = error;
        this.dropBuffer();
        this.settleProgress(undefined);
        return;
      }
      // The chunks go back in front: order is kept, and the next write retries them.
      this.chunks.unshift(...chunks);
      this.sizes.unshift(...sizes);
      for (const size of sizes) this.bufferedBytes += size;
      this.backOff(errorBackoffMs(this.failures, OUTPUT_BACKOFF));
    }
  }

  private async writeProgress(value: unknown, waiters: ProgressWaiter[]): Promise<void> {
    if (this.state === 'lease_lost') {
      for (const waiter of waiters) waiter.reject(new LeaseLostError(this.parts.lease.id));
      return;
    }
    try {
      await this.parts.reportProgress({ ...this.parts.lease, progress: value });
    } catch (error) {
      if (hasErrorCode(error, ErrorCodes.leaseLost)) {
        for (const waiter of waiters) waiter.reject(error);
        this.loseLease();
        return;
      }
      this.parts.reportError(error, 'progress');
    }
    for (const waiter of waiters) waiter.resolve();
  }

  private loseLease(): void {
    if (this.state === 'lease_lost') return;
    this.state = 'lease_lost';
    this.dropBuffer();
    this.settleProgress(new LeaseLostError(this.parts.lease.id));
    this.parts.onLeaseLost();
  }

  private dropBuffer(): void {
    this.chunks = [];
    this.sizes = [];
    this.bufferedBytes = 0;
  }

  /** Settles the progress waiting for a write: rejected with `error`, or resolved. */
  private settleProgress(error: unknown): void {
    const waiters = this.progress?.waiters ?? [];
    this.progress = undefined;
    for (const waiter of waiters) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }

  /** No write starts for `ms` (unless ending or full); what was buffered meanwhile goes after it. */
  private cool(ms: number): void {
    if (this.cooling) return;
    this.startTimer(ms);
  }

  /** No write at all starts for `ms` (after a failed write). */
  private backOff(ms: number): void {
    clearTimeout(this.cooling);
    this.backingOff = true;
    this.startTimer(ms);
  }

  private startTimer(ms: number): void {
    this.cooling = setTimeout(() => {
      this.cooling = undefined;
      this.backingOff = false;
      this.schedule();
    }, ms);
    this.cooling.unref?.();
  }

  private stopCooling(): void {
    clearTimeout(this.cooling);
    this.cooling = undefined;
    this.backingOff = false;
  }

  private finishEnd(): void {
    for (const resolve of this.ended.splice(0)) resolve();
  }
}
