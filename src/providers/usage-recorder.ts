import { type CapabilityHolder, type UsageLedger, withCapability } from '../core/backend.js';
import type { RecordUsageParams, UsageEntry } from '../core/usage.js';

/** Where handlers report the tokens and cost of each provider call (see UsageRecorder). */
export interface UsageSink {
  record(entry: UsageEntry): void;
}

/** The part of a Backend that keeps usage (an optional role, declared by `capabilities.usage`). */
export type UsageBackend = CapabilityHolder & Partial<UsageLedger>;

export interface UsageRecorderOptions {
  /** Longest time an entry waits in the buffer before it is written. Default 200 ms. */
  flushIntervalMs?: number;
  /** Entries that trigger a write at once. Default 100. */
  maxBatch?: number;
  /** Entries kept while the backend refuses writes; beyond it the oldest are dropped. Default 10 000. */
  maxBuffered?: number;
  /** A write failed (the entries stay buffered and are retried) or entries were dropped. */
  onError?: (error: unknown, info: { buffered: number; dropped: number }) => void;
}

/**
 * Buffers usage entries in process and writes them with `backend.recordUsage` in batches: every
 * `flushIntervalMs` or `maxBatch` entries, and on `close()`, so that accounting costs no round trip
 * per provider call. Writes are serialized; a failed write keeps its entries for the next one.
 * Entries still buffered when the process dies are lost (accounting is best effort, jobs are not).
 */
export class UsageRecorder implements UsageSink {
  private readonly write: (params: RecordUsageParams) => Promise<void>;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private readonly onError: NonNullable<UsageRecorderOptions['onError']>;
  private buffer: UsageEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(write: (params: RecordUsageParams) => Promise<void>, options: UsageRecorderOptions = {}) {
    this.write = write;
    this.flushIntervalMs = options.flushIntervalMs ?? 200;
    this.maxBatch = options.maxBatch ?? 100;
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.onError = options.onError ?? (() => {});
  }

  /** Entries waiting to be written. */
  get pending(): number {
    return this.buffer.length;
  }

  record(entry: UsageEntry): void {
    this.buffer.push(entry);
    this.trim();
    if (this.closed || this.buffer.length >= this.maxBatch) void this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Writes everything buffered now (after any write in progress). Never throws. */
  flush(): Promise<void> {
    this.clearTimer();
    this.writing = this.writing.then(() => this.writeBuffered());
    return this.writing;
  }

  /** Flushes what is buffered; later entries are written at once, one call each. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async writeBuffered(): Promise<void> {
    while (this.buffer.length > 0) {
      const entries = this.buffer.splice(0, this.maxBatch);
      try {
        await this.write({ entries });
      } catch (error) {
        this.buffer.unshift(...entries);
        this.trim();
        this.onError(error, { buffered: this.buffer.length, dropped: 0 });
        // Retry on the next timer rather than spinning against a failing backend.
        if (!this.closed && this.timer === undefined) {
          this.timer = setTimeout(() => void this.flush(), this.flushIntervalMs);
          this.timer.unref();
        }
        return;
      }
    }
  }

  private trim(): void {
    const over = this.buffer.length - this.maxBuffered;
    if (over <= 0) return;
    this.buffer.splice(0, over);
    this.onError(new Error(`usage buffer full: dropped the ${over} oldest entries`), {
      buffered: this.buffer.length,
      dropped: over,
    });
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * A recorder writing to `backend` when it declares `capabilities.usage`; undefined otherwise (then
 * usage is only on each job's output).
 */
export function usageRecorderFor(backend: UsageBackend, options: UsageRecorderOptions = {}): UsageRecorder | undefined {
  const ledger = withCapability(backend, 'usage');
  return ledger ? new UsageRecorder((params) => ledger.recordUsage(params), options) : undefined;
}
