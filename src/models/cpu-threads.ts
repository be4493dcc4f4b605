import { availableParallelism } from 'node:os';

/**
 * Threads a CPU pool (factorial, NLP) may use when SLUICE_CPU_THREADS is not set: one per core but
 * one, so that a core stays free for the event loop (lease heartbeats, HTTP answers); at least one.
 */
export function defaultCpuThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}
