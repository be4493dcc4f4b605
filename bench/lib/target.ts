/** What a worker handler sees of a job: the bench payload (its `t` is the enqueue time, ms). */
export interface BenchJob {
  i: number;
  t: number;
}

export interface WorkerHooks {
  concurrency: number;
  /**
   * Jobs a worker may hold beyond its concurrency, fetched ahead (see `lookAhead`). Given alike to
   * every target with such a setting: Sluice's `prefetch`, Graphile's local queue, the raw loops.
   */
  prefetch: number;
  /** Called as a handler starts, with the job's input. */
  onStart?: (job: BenchJob) => void;
  /** Called once a job's completion is written (or, for peers that only expose it, acked). */
  onDone: () => void;
}

/**
 * One queue system under test, on storage of its own. Sluice on each backend and every peer
 * implement it, so a workload is written once and runs the same on both sides of a pair.
 */
export interface QueueTarget {
  readonly name: string;
  /** Names its storage (URL, file, schema, prefix, queue), so that another process can attach to it. */
  readonly address: string;
  /** Creates its storage (temp file, schema, key prefix, queue names). */
  setup(): Promise<void>;
  enqueueOne(input: object): Promise<void>;
  /** Enqueues many; the target splits into its own best batch size. */
  enqueueBulk(inputs: object[]): Promise<void>;
  /** Starts an in-process worker running a no-op handler; resolves once it is ready. */
  startWorker(hooks: WorkerHooks): Promise<{ stop: () => Promise<void> }>;
  /**
   * Resolves once storage shows `total` jobs finished, for peers whose per-job signal comes before
   * the write (pg-boss completes a batch after its handler returns). Bounded by `ms`.
   */
  settled?(total: number, ms: number): Promise<void>;
  /** Updates the storage's planner statistics where it has any (PostgreSQL): see analyzeSchema. */
  analyze?(): Promise<void>;
  /** Removes its storage and closes its connections. Safe to call after a failed setup. */
  teardown(): Promise<void>;
}

/** A target that can also claim and complete batches directly (for the depth workload). */
export interface ClaimProbe {
  claimAndComplete(limit: number): Promise<number>;
}

export type TargetFactory = () => QueueTarget;

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The look-ahead every worker in the bench gets: as many jobs again as its concurrency. It is
 * Sluice's documented setting for short jobs (`prefetch`), and the same budget is given to each
 * peer that has one, so that a ratio compares queues, not fetch sizes.
 */
export function lookAhead(concurrency: number): number {
  return concurrency;
}
