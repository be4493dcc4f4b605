import { defaultCpuThreads } from '../models/cpu-threads.js';
import { CPU_BOUND_NICE, LazyThreadPool } from '../models/thread-file.js';
import type { HandlerDefinition } from '../worker/handler.js';
import type { FactorialResult, FactorialTask } from './factorial-thread.js';
import { FACTORIAL_MAX_N, factorialInputSchema, parseInput } from './input-schemas.js';

export { FACTORIAL_MAX_N };

/** Input of the `factorial` handler. */
export interface FactorialInput {
  n: number;
}

/** Output of the `factorial` handler: `value` is n! in decimal, `digits` its length. */
export type FactorialOutput = FactorialResult;

/** Idle threads exit after this long, so an idle process holds no extra threads. */
const IDLE_TIMEOUT_MS = 30_000;

const pool = new LazyThreadPool<FactorialTask, FactorialResult>({
  name: 'factorial-thread',
  here: import.meta.url,
  maxThreads: defaultCpuThreads(),
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  niceIncrement: CPU_BOUND_NICE,
});

/**
 * Computes n! in the thread pool. The abort signal terminates the thread running the task (a
 * BigInt multiplication cannot be interrupted any other way); the promise then rejects with the
 * signal's reason.
 */
export async function computeFactorial(n: number, signal?: AbortSignal): Promise<FactorialResult> {
  parseInput(factorialInputSchema, { n }, 'factorial');
  signal?.throwIfAborted();
  try {
    return await pool.get().run({ n }, { signal: signal ?? null });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}

/** The pool's current state, for metrics and tests: threads alive, tasks waiting, the most threads. */
export function factorialPoolStats(): { threads: number; queued: number; maxThreads: number } {
  return { ...pool.stats(), maxThreads: pool.maxThreads };
}

/**
 * Stops the factorial threads (running tasks are rejected). Call after the worker has stopped,
 * so that the process can exit; idle threads are unref'd already, a running one is not.
 */
export function closeFactorialPool(): Promise<void> {
  return pool.close();
}

/**
 * The `factorial` handler: `{n}` -> `{n, digits, value}`, computed off the event loop on at most
 * `threads` threads (SLUICE_CPU_THREADS). The pool is one per process: creating a handler sizes it.
 */
export function createFactorialHandler(
  threads: number = defaultCpuThreads(),
): HandlerDefinition<FactorialInput, FactorialOutput> {
  pool.resize(threads);
  return {
    handle: ({ job, signal }) => computeFactorial(parseInput(factorialInputSchema, job.input, 'factorial').n, signal),
    // More jobs than threads would only wait inside the pool while holding leases.
    concurrency: threads,
  };
}
