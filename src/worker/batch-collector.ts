import { ErrorCodes, SluiceError } from '../core/errors.js';
import type { BatchHandlerFunction, BatchOptions, HandlerContext } from './handler.js';

interface Pending {
  context: HandlerContext<never>;
  resolve: (output: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The batching window of one job type. Each attempt hands its context to `submit` as if it were
 * the handler; the collector waits until `maxSize` items are in or `maxWaitMs` has passed since
 * the first, then makes one `handleBatch` call and settles every item's promise with its own
 * result. Items whose signal fired before the call are left out (their attempt already ended).
 */
export class BatchCollector {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: BatchOptions,
    private readonly handleBatch: BatchHandlerFunction<never, unknown>,
  ) {}

  /** The handler function of a batched attempt: resolves or rejects with this item's own result. */
  readonly submit = (context: HandlerContext<never>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      this.pending.push({ context, resolve, reject });
      if (this.pending.length >= this.options.maxSize) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.options.maxWaitMs);
    });

  /** Runs what is waiting now (the window closes early, e.g. at shutdown). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const items: Pending[] = [];
    for (const item of this.pending.splice(0)) {
      if (item.context.signal.aborted) item.reject(item.context.signal.reason);
      else items.push(item);
    }
    if (items.length > 0) void this.run(items);
  }

  private async run(items: Pending[]): Promise<void> {
    // The batch's own signal fires once no item is still waiting for the answer.
    const controller = new AbortController();
    let live = items.length;
    const onAbort = (): void => {
      live -= 1;
      if (live === 0) controller.abort(items[0]?.context.signal.reason);
    };
    for (const item of items) item.context.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const results = await this.handleBatch(
        items.map((item) => item.context),
        controller.signal,
      );
      if (!Array.isArray(results) || results.length !== items.length) {
        throw new SluiceError(
          ErrorCodes.internal,
          `handleBatch returned ${Array.isArray(results) ? results.length : 'no'} results for ${items.length} jobs`,
        );
      }
      items.forEach((item, index) => {
        const result = results[index];
        if (result?.ok) item.resolve(result.output);
        else item.reject(result?.error);
      });
    } catch (error) {
      for (const item of items) item.reject(error);
    } finally {
      for (const item of items) item.context.signal.removeEventListener('abort', onAbort);
    }
  }
}
