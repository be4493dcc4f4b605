import type { ClaimedJob } from '../core/job.js';

/** What a handler receives for one attempt. */
export interface HandlerContext<Input = unknown> {
  job: ClaimedJob & { input: Input };
  /** Fires on timeout, cancellation, lost lease or shutdown; `signal.reason` says which. */
  signal: AbortSignal;
  /** Records progress or partial output (a number 0..100, or any JSON object). Fenced by the
   * lease: rejects with LeaseLostError when this attempt no longer owns the job. */
  progress(progress: unknown): Promise<void>;
}

export type HandlerFunction<Input = unknown, Output = unknown> = (ctx: HandlerContext<Input>) => Promise<Output> | Output;

/** A handler with options. A plain function is a handler with defaults. */
export interface HandlerDefinition<Input = unknown, Output = unknown> {
  handle: HandlerFunction<Input, Output>;
  /** Default per-attempt timeout when the job gives none. */
  timeoutMs?: number;
  /** At most this many jobs of this type run at once in one worker (within its concurrency). */
  concurrency?: number;
}

export type Handler<Input = unknown, Output = unknown> = HandlerFunction<Input, Output> | HandlerDefinition<Input, Output>;

export type HandlerMap = Record<string, Handler<never, unknown>>;

export function toDefinition(handler: Handler<never, unknown>): HandlerDefinition<never, unknown> {
  return typeof handler === 'function' ? { handle: handler } : handler;
}
