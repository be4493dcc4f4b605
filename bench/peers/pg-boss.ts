import pg from 'pg';
import PgBoss from 'pg-boss';
import { analyzeSchema, dropSchema, PG_URL, uniqueName } from '../lib/services.js';
import { type BenchJob, type ClaimProbe, chunks, type QueueTarget, type WorkerHooks } from '../lib/target.js';
import { now, sleep } from '../lib/time.js';

const QUEUE = 'bench';

/**
 * pg-boss 10 with its documented settings for throughput: `insert` for bulk, `work` with
 * `batchSize` = the concurrency (one fetch and one completion per batch), the shortest polling
 * interval it allows (0.5 s), and `notifyWorker` after a full batch so a busy queue is not paced by polling.
 * Its own schema per run.
 */
export class PgBossTarget implements QueueTarget, ClaimProbe {
  readonly name = 'pg-boss';
  private readonly schema: string;
  private boss: PgBoss | undefined;

  /** `existing`: a schema another target created; teardown leaves it. */
  constructor(private readonly existing?: string) {
    this.schema = existing ?? uniqueName('bench_pgboss');
  }

  get address(): string {
    return this.schema;
  }

  async setup(): Promise<void> {
    const boss = new PgBoss({ connectionString: PG_URL, schema: this.schema, supervise: false, schedule: false });
    boss.on('error', () => {});
    this.boss = boss;
    await boss.start();
    if (!this.existing) await boss.createQueue(QUEUE);
  }

  async enqueueOne(input: object): Promise<void> {
    await this.boss!.send(QUEUE, input);
  }

  async enqueueBulk(inputs: object[]): Promise<void> {
    for (const batch of chunks(inputs, 1000)) await this.boss!.insert(batch.map((data) => ({ name: QUEUE, data })));
  }

  async startWorker(hooks: WorkerHooks): Promise<{ stop: () => Promise<void> }> {
    let id: string | undefined;
    id = await this.boss!.work<BenchJob>(QUEUE, { batchSize: hooks.concurrency, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      for (const job of jobs) hooks.onStart?.(job.data);
      // pg-boss completes the whole batch after this returns; `settled` checks the table.
      for (let k = 0; k < jobs.length; k++) hooks.onDone();
      // pg-boss 10 waits the polling interval even after a full batch; notifyWorker (its API)
      // makes it fetch again at once, as a busy queue needs.
      if (id !== undefined && jobs.length === hooks.concurrency) this.boss!.notifyWorker(id);
    });
    return { stop: () => this.boss!.offWork({ id }) };
  }

  async settled(total: number, ms: number): Promise<void> {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const deadline = now() + ms;
      for (;;) {
        const { rows } = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM "${this.schema}".job WHERE name = $1 AND state = 'completed'`,
          [QUEUE],
        );
        if (Number(rows[0]?.n) >= total) return;
        if (now() > deadline) throw new Error(`pg-boss: ${rows[0]?.n}/${total} completed after ${ms} ms`);
        await sleep(5);
      }
    } finally {
      await client.end();
    }
  }

  async claimAndComplete(limit: number): Promise<number> {
    const jobs = await this.boss!.fetch(QUEUE, { batchSize: limit });
    if (jobs.length > 0)
      await this.boss!.complete(
        QUEUE,
        jobs.map((j) => j.id),
      );
    return jobs.length;
  }

  analyze(): Promise<void> {
    return analyzeSchema(this.schema);
  }

  async teardown(): Promise<void> {
    try {
      await this.boss?.stop({ graceful: false, close: true, wait: true, timeout: 2_000 });
    } finally {
      this.boss = undefined;
      if (!this.existing) await dropSchema(this.schema);
    }
  }
}
