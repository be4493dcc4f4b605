import { Logger, makeWorkerUtils, type Runner, run, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { dropSchema, PG_URL, uniqueName } from '../lib/services.js';
import { type BenchJob, chunks, type QueueTarget, type WorkerHooks } from '../lib/target.js';
import { now, sleep } from '../lib/time.js';

/**
 * Graphile Worker 0.17 with its documented performance settings: `addJobs` for bulk, `run` with
 * `concurrency`, a local queue (batched fetch, `localQueue.size`) and batched completions
 * (`completeJobBatchDelay`). Its own schema (the `schema` option) per run, migrated on setup.
 */
export class GraphileTarget implements QueueTarget {
  readonly name = 'graphile-worker';
  private readonly schema = uniqueName('bench_graphile');
  private utils: WorkerUtils | undefined;
  private pool: pg.Pool | undefined;

  get address(): string {
    return this.schema;
  }

  async setup(): Promise<void> {
    this.pool = new pg.Pool({ connectionString: PG_URL, max: 12 });
    this.pool.on('error', () => {});
    this.pool.on('connect', (client) => client.on('error', () => {}));
    this.utils = await makeWorkerUtils({ pgPool: this.pool, schema: this.schema });
    await this.utils.migrate();
  }

  async enqueueOne(input: object): Promise<void> {
    await this.utils!.addJob('noop', input);
  }

  async enqueueBulk(inputs: object[]): Promise<void> {
    for (const batch of chunks(inputs, 1000))
      await this.utils!.addJobs(batch.map((payload) => ({ identifier: 'noop', payload })));
  }

  async startWorker(hooks: WorkerHooks): Promise<{ stop: () => Promise<void> }> {
    const runner: Runner = await run({
      pgPool: this.pool!,
      schema: this.schema,
      concurrency: hooks.concurrency,
      noHandleSignals: true,
      pollInterval: 250,
      logger: silentLogger(),
      preset: {
        worker: {
          // The local queue holds fetched jobs that no worker has taken yet (a job leaves it when a
          // worker takes it; it refetches `size` once empty): `size` is the look-ahead beyond the
          // running jobs, as Sluice's `prefetch` is. At least 2 (1 turns the local queue off);
          // look-ahead = concurrency is also Graphile's suggested start, concurrency + 1.
          localQueue: { size: Math.max(2, hooks.prefetch) },
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
        },
      },
      taskList: {
        noop: async (payload) => {
          hooks.onStart?.(payload as BenchJob);
        },
      },
    });
    runner.events.on('job:success', () => hooks.onDone());
    return { stop: () => runner.stop() };
  }

  async settled(total: number, ms: number): Promise<void> {
    // Graphile deletes a job when it completes: done means no job rows left.
    const deadline = now() + ms;
    for (;;) {
      const { rows } = await this.pool!.query<{ n: string }>(`SELECT count(*) AS n FROM "${this.schema}"._private_jobs`);
      if (Number(rows[0]?.n) === 0) return;
      if (now() > deadline) throw new Error(`graphile-worker: ${rows[0]?.n} of ${total} jobs left after ${ms} ms`);
      await sleep(5);
    }
  }

  async teardown(): Promise<void> {
    try {
      await this.utils?.release();
      await this.pool?.end();
    } finally {
      this.utils = undefined;
      this.pool = undefined;
      await dropSchema(this.schema);
    }
  }
}

function silentLogger() {
  // graphile-worker's Logger takes a factory; a no-op one keeps the bench output clean.
  return new Logger(() => () => {});
}
