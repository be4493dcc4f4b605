import type { ClaimedJob } from '../core/job.js';

/** What a handler receives for one attempt. */
export interface HandlerContext<Input = unknown> {
  job: ClaimedJob & { input: Input };
  /** Fires on timeout, cancellation, lost lease or shutdown; `signal.reason` says which. */
  signal: AbortSignal;
  /**
   * Records progress (a number 0..100, or any JSON object) as the job's `progress` and a
   * `job.progress` event. Calls close together are written as one (the latest value wins);
   * resolves once the value (or a later one) is stored. Fenced by the lease: rejects with
   * LeaseLostError when this attempt no longer owns the job.
   */
  progress(progress: unknown): Promise<void>;
  /**
   * Appends a chunk of partial output (a JSON value, e.g. a token's text) to the job's event log:
   * chunks keep their order and are written together, several to one `job.output.delta` event
   * (see the worker options `emitFlushMs`, `emitMaxChunks`, `emitMaxBytes`), all before the
   * attempt's result. Returns at once. Throws a ValidationError (field `chunk`) for a chunk that
   * is not plain JSON or is too large, and LeaseLostError once the attempt no longer owns the job
   * (a write that finds the lease gone aborts the handler, as a lost heartbeat does). On a backend
   * without `capabilities.eventLog` chunks are dropped (the worker warns once).
   */
  emit(chunk: unknown): void;
}

export type HandlerFunction<Input = unknown, Output = unknown> = (ctx: HandlerContext<Input>) => Promise<Output> | Output;

/** A handler with options. A plain function is a handler with defaults. */
export interface HandlerDefinition<Input = unknown, Output = unknown> {
  handle: HandlerFunction<Input, Output>;
  /** Default per-attempt timeout when the job gives none. */
  timeoutMs?: number;
  /** At most this many jobs of this type run at once in one worker (within its concurrency). */
  concurrency?: number;
  /**
   * Batching window: the worker gathers up to `maxSize` claimed jobs of this type (or whatever
   * arrived within `maxWaitMs` of the first) and runs them in one `handleBatch` call. Each job
   * keeps its own lease, timeout and result. A batch cannot be larger than the worker's
   * concurrency (or this handler's), since every job in it holds a slot.
   */
  batch?: BatchOptions;
  /** Runs a batch (required with `batch`); `handle` still serves a job run alone. */
  handleBatch?: BatchHandlerFunction<Input, Output>;
}

export interface BatchOptions {
  maxSize: number;
  maxWaitMs: number;
}

/** One job's result in a batch: only the items that failed fail. */
export type BatchItemResult<Output = unknown> = { ok: true; output: Output } | { ok: false; error: unknown };

/**
 * Runs several jobs in one call. `items[i]` is the context of one job (its signal fires on that
 * job's timeout, cancellation or lost lease); `signal` fires when every item's signal has fired.
 * Returns one result per item, in order. A throw fails every item with that error.
 */
export type BatchHandlerFunction<Input = unknown, Output = unknown> = (
  items: Array<HandlerContext<Input>>,
  signal: AbortSignal,
) => Promise<Array<BatchItemResult<Output>>>;

export type Handler<Input = unknown, Output = unknown> = HandlerFunction<Input, Output> | HandlerDefinition<Input, Output>;

export type HandlerMap = Record<string, Handler<never, unknown>>;

export function toDefinition(handler: Handler<never, unknown>): HandlerDefinition<never, unknown> {
  return typeof handler === 'function' ? { handle: handler } : handler;
}
