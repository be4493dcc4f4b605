import type { TestContext } from 'node:test';
import type { ClaimParams } from '../../../src/core/backend.js';
import type { Job } from '../../../src/core/job.js';
import type { JobSpec } from '../../../src/core/job-spec.js';
import { toNewJob } from '../../../src/core/new-job.js';
import { Worker, type WorkerOptions } from '../../../src/worker/worker.js';
import type { WorkerEventMap } from '../../../src/worker/worker-events.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemoryBackend } from '../../helpers/memory-backend.js';

/**
 * Shared set-up for the worker's unit tests: a MemoryBackend on a FakeClock (the backend's notion
 * of time) and a Worker whose own timers (poll, heartbeat, grace) are real but short.
 */
export interface Harness {
  clock: FakeClock;
  backend: MemoryBackend;
  /** Stores jobs; every spec gets `type: 'echo'` unless it says otherwise. */
  enqueue(...specs: Array<Partial<JobSpec>>): Promise<Job[]>;
  /** A worker with test-friendly timings; stopped by `cleanup`. */
  worker(options: Partial<WorkerOptions> & Pick<WorkerOptions, 'handlers'>): Worker;
  job(id: string): Promise<Job>;
  /** Stops every worker made here (grace 0) and closes the backend. */
  cleanup(): Promise<void>;
}

export function makeHarness(options: { maxOutputBytes?: number } = {}): Harness {
  const clock = new FakeClock();
  const backend = new MemoryBackend({ clock, ...options });
  const workers: Worker[] = [];
  return {
    clock,
    backend,
    async enqueue(...specs) {
      const results = await backend.enqueue({ jobs: specs.map((spec) => toNewJob({ type: 'echo', ...spec })) });
      return results.map((result) => result.job);
    },
    worker(options) {
      const worker = new Worker(backend, {
        leaseMs: 1_000,
        heartbeatMs: 20,
        pollIntervalMs: 10,
        shutdownGraceMs: 1_000,
        random: () => 0,
        clock,
        ...options,
      });
      workers.push(worker);
      return worker;
    },
    async job(id) {
      const job = await backend.get({ id });
      if (!job) throw new Error(`job ${id} is gone`);
      return job;
    },
    async cleanup() {
      await Promise.all(workers.map((worker) => worker.stop({ graceMs: 0 })));
      await backend.close();
    },
  };
}

/** A promise with its resolve function outside: tests use it as a gate that handlers wait on. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves when `signal` aborts, with its reason. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

/** Resolves with the first `count` events of `name` that the worker emits from now on. */
export function collect<K extends keyof WorkerEventMap>(
  worker: Worker,
  name: K,
  count: number,
): Promise<Array<WorkerEventMap[K]>> {
  return new Promise((resolve) => {
    const seen: Array<WorkerEventMap[K]> = [];
    const unsubscribe = worker.on(name, (payload) => {
      seen.push(payload);
      if (seen.length === count) {
        unsubscribe();
        resolve(seen);
      }
    });
  });
}

/** The claims each worker has made on a backend, and a wait for the next ones (instead of a sleep). */
export interface ClaimWatch {
  /** Claims by `workerId` the backend has answered so far. */
  count(workerId: string): number;
  /** Resolves once the backend has answered `count` claims by `workerId` (at once if it has). */
  reached(workerId: string, count: number): Promise<void>;
}

/**
 * Wraps `backend.claim` (through `t.mock`, undone after the test) to count answered claims per
 * worker. A worker that has made a claim has looked for work: a test that asserts a job was not
 * taken waits for that look rather than for a guessed number of milliseconds.
 */
export function watchClaims(t: TestContext, backend: MemoryBackend): ClaimWatch {
  const answered = new Map<string, number>();
  const waiters = new Set<{ workerId: string; count: number; resolve: () => void }>();
  const claim = backend.claim.bind(backend);
  t.mock.method(backend, 'claim', async (params: ClaimParams) => {
    try {
      return await claim(params);
    } finally {
      const n = (answered.get(params.workerId) ?? 0) + 1;
      answered.set(params.workerId, n);
      for (const waiter of waiters) {
        if (waiter.workerId !== params.workerId || n < waiter.count) continue;
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  });
  const count = (workerId: string) => answered.get(workerId) ?? 0;
  return {
    count,
    reached: (workerId, target) =>
      count(workerId) >= target ? Promise.resolve() : new Promise((resolve) => waiters.add({ workerId, count: target, resolve })),
  };
}
