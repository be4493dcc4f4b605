import { defaultCpuThreads } from './cpu-threads.js';
import { modelLoadError } from './model-errors.js';
import { CPU_BOUND_NICE, LazyThreadPool } from './thread-file.js';
import type { NlpAnalysis, NlpOptions } from './wink-analyse.js';
import type { WinkTask, WinkTaskResult } from './wink-thread.js';

/**
 * The NLP model (wink-nlp + English lite model) behind a piscina thread pool. wink is fast, but not
 * free: a 100 000-character text blocked the event loop for 45-90 ms here (measured, see
 * docs/models.md), longer than a worker should stall its lease heartbeats and HTTP answers. So the
 * model lives in worker threads, each loading it once (~60 ms, ~30 MB) and keeping it while the
 * thread lives; the pool keeps its threads for IDLE_TIMEOUT_MS after the last job.
 */

/** Idle threads exit after this long (taking their model copy with them). */
const IDLE_TIMEOUT_MS = 60_000;

const pool = new LazyThreadPool<WinkTask, WinkTaskResult>({
  name: 'wink-thread',
  here: import.meta.url,
  maxThreads: defaultCpuThreads(),
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  niceIncrement: CPU_BOUND_NICE,
});
/** Model loads reported by each thread that answered (by thread id). */
const loadsByThread = new Map<number, number>();

/**
 * Analyses `text` in the NLP thread pool. Rejects with a PermanentError ("NLP model could not be
 * loaded: ...") when the model cannot load, with `signal.reason` when aborted (the thread running
 * the text is terminated; the next job starts a fresh one).
 */
export async function analyseInThread(text: string, options: NlpOptions, signal?: AbortSignal): Promise<NlpAnalysis> {
  signal?.throwIfAborted();
  let result: WinkTaskResult;
  try {
    result = await pool.get().run({ text, options }, { signal: signal ?? null });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
  loadsByThread.set(result.threadId, result.modelLoads);
  if (!result.ok) throw modelLoadError('NLP', result.loadError);
  return result.analysis;
}

/** Sets the most NLP threads (SLUICE_CPU_THREADS); a running pool of another size closes gracefully. */
export function resizeWinkPool(threads: number): void {
  pool.resize(threads);
}

/** Threads alive, the most allowed, and how many times the threads that answered so far loaded the model in total. */
export function winkModelStats(): { threads: number; maxThreads: number; modelLoads: number } {
  let modelLoads = 0;
  for (const loads of loadsByThread.values()) modelLoads += loads;
  return { threads: pool.stats().threads, maxThreads: pool.maxThreads, modelLoads };
}

/** Stops the NLP threads (running tasks are rejected). Safe to call more than once. */
export async function closeWinkModel(): Promise<void> {
  loadsByThread.clear();
  await pool.close();
}
