import type { CompleteParams, FailItem, SettleOutcome, WorkerJobStore } from '../core/backend.js';
import type { ErrorBackoff } from './error-backoff.js';
import { withRetries } from './with-retries.js';

type CompleteItem = CompleteParams['items'][number];

/** How one settlement ended: the backend's outcome, or `error` when it could not be written at all. */
export type SettleResult = SettleOutcome | { id: string; result: 'error' };

interface Pending<T> {
  item: T;
  resolve: (result: SettleResult) => void;
}

export interface SettleBatcherOptions {
  /** Further tries of a batch the backend failed to take. */
  retries: number;
  backoff: ErrorBackoff;
  onError: (error: unknown) => void;
}

/**
 * Gathers finished attempts and writes them in bulk: every completion queued in the same tick goes
 * in one `complete` call, every failure in one `fail` call. While a write is in flight new results
 * queue up and go together in the next one (group commit), so a burst of finishing jobs costs a
 * round trip per batch, not per job.
 */
export class SettleBatcher {
  private completes: Array<Pending<CompleteItem>> = [];
  private fails: Array<Pending<FailItem>> = [];
  private scheduled: NodeJS.Immediate | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly backend: Pick<WorkerJobStore, 'complete' | 'fail'>,
    private readonly options: SettleBatcherOptions,
  ) {}

  complete(item: CompleteItem): Promise<SettleResult> {
    return new Promise((resolve) => {
      this.completes.push({ item, resolve });
      this.schedule();
    });
  }

  fail(item: FailItem): Promise<SettleResult> {
    return new Promise((resolve) => {
      this.fails.push({ item, resolve });
      this.schedule();
    });
  }

  /** Resolves once everything queued so far has been written (or given up on). */
  async drain(): Promise<void> {
    while (this.inFlight || this.completes.length > 0 || this.fails.length > 0) {
      if (this.inFlight) await this.inFlight;
      else this.flushNow();
    }
  }

  private schedule(): void {
    if (this.scheduled !== undefined || this.inFlight) return;
    // setImmediate runs after the current burst of promise continuations: results that finish
    // together are written together.
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.flushNow();
    });
  }

  private flushNow(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const completes = this.completes;
    const fails = this.fails;
    this.completes = [];
    this.fails = [];
    if (completes.length === 0 && fails.length === 0) return;
    this.inFlight = Promise.all([
      this.write(completes, (items) => this.backend.complete({ items })),
      this.write(fails, (items) => this.backend.fail({ items })),
    ]).then(() => {
      this.inFlight = undefined;
      if (this.completes.length > 0 || this.fails.length > 0) this.schedule();
    });
  }

  private async write<T extends { id: string }>(batch: Array<Pending<T>>, send: (items: T[]) => Promise<SettleOutcome[]>) {
    if (batch.length === 0) return;
    try {
      const outcomes = await withRetries(() => send(batch.map((pending) => pending.item)), {
        retries: this.options.retries,
        backoff: this.options.backoff,
        onError: (error) => this.options.onError(error),
      });
      const byId = new Map(outcomes.map((outcome) => [outcome.id, outcome]));
      for (const pending of batch) pending.resolve(byId.get(pending.item.id) ?? { id: pending.item.id, result: 'lease_lost' });
    } catch {
      // Given up: the lease runs out and the job is reclaimed and run again (at-least-once).
      for (const pending of batch) pending.resolve({ id: pending.item.id, result: 'error' });
    }
  }
}
