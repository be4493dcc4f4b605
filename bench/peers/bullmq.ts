import { Queue, Worker } from 'bullmq';
import { deleteRedisPrefix, REDIS_URL, uniqueName } from '../lib/services.js';
import { type BenchJob, chunks, type QueueTarget, type WorkerHooks } from '../lib/target.js';

export const QUEUE = 'bench';

/** The ioredis options every BullMQ object of the bench gets (BullMQ's workers need maxRetriesPerRequest: null). */
export function bullmqConnection(): { host: string; port: number; maxRetriesPerRequest: null } {
  const url = new URL(REDIS_URL);
  return { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
}

/**
 * BullMQ 6 with its documented settings for throughput: `addBulk` for bulk adds, worker
 * `concurrency`, `removeOnComplete` / `removeOnFail` so finished jobs do not pile up in Redis.
 */
export class BullmqTarget implements QueueTarget {
  readonly name = 'bullmq';
  private readonly prefix: string;
  private queue: Queue | undefined;
  private readonly connection = bullmqConnection();
  private readonly jobOpts = { removeOnComplete: true, removeOnFail: 1000 };

  /** `existing`: a key prefix another target created; teardown leaves it. */
  constructor(private readonly existing?: string) {
    this.prefix = existing ?? uniqueName('bench-bull');
  }

  get address(): string {
    return this.prefix;
  }

  async setup(): Promise<void> {
    this.queue = new Queue(QUEUE, { connection: this.connection, prefix: this.prefix });
    await this.queue.waitUntilReady();
  }

  async enqueueOne(input: object): Promise<void> {
    await this.queue!.add('noop', input, this.jobOpts);
  }

  async enqueueBulk(inputs: object[]): Promise<void> {
    for (const batch of chunks(inputs, 1000)) {
      await this.queue!.addBulk(batch.map((data) => ({ name: 'noop', data, opts: this.jobOpts })));
    }
  }

  async startWorker(hooks: WorkerHooks): Promise<{ stop: () => Promise<void> }> {
    const worker = new Worker(
      QUEUE,
      async (job) => {
        hooks.onStart?.(job.data as BenchJob);
        return null;
      },
      { connection: this.connection, prefix: this.prefix, concurrency: hooks.concurrency },
    );
    worker.on('completed', () => hooks.onDone());
    worker.on('error', () => {});
    await worker.waitUntilReady();
    return { stop: () => worker.close() };
  }

  async teardown(): Promise<void> {
    try {
      await this.queue?.close();
    } finally {
      this.queue = undefined;
      if (!this.existing) await deleteRedisPrefix(this.prefix);
    }
  }
}
