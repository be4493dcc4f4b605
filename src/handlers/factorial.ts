import { PermanentError } from '../core/errors.js';
import { defaultCpuThreads } from '../models/cpu-threads.js';
import { CPU_BOUND_NICE, LazyThreadPool } from '../models/thread-file.js';
import type { HandlerDefinition } from '../worker/handler.js';
import type { FactorialResult, FactorialTask } from './factorial-thread.js';

/** Largest n accepted: 200000! has 973351 digits, computed in well under a second. */
export const FACTORIAL_MAX_N = 200_000;

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
  checkN(n);
  signal?.throwIfAborted();
  try {
    return await pool.get().run({ n }, { signal: signal ?? null });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}

function checkN(n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > FACTORIAL_MAX_N) {
    throw new PermanentError(
      `factorial: n must be an integer from 0 to ${FACTORIAL_MAX_N}, got ${JSON.stringify(n) ?? String(n)}`,
      {
        field: 'input.n',
      },
    );
  }
}

function readN(input: unknown): number {
  const n = typeof input === 'object' && input !== null ? (input as { n?: unknown }).n : undefined;
  checkN(n);
  return n;
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
    handle: ({ job, signal }) => computeFactorial(readN(job.input), signal),
    // More jobs than threads would only wait inside the pool while holding leases.
    concurrency: threads,
  };
}
