import { jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import amqp from 'amqplib';
import { deadStreamName, workStreamName } from '../../src/backends/nats/names.js';
import type { Backend } from '../../src/core/backend.js';
import type { Sluice } from '../../src/sluice.js';
import type { Worker } from '../../src/worker/worker.js';
import { AMQP_URL, analyzeSchema, dropSchema, NATS_URL, sluicePgUrl, uniqueName } from '../lib/services.js';
import { Sluice as LoadedSluice } from '../lib/sluice-modules.js';
import { sluiceStorage } from '../lib/sluice-storage.js';
import { type BenchJob, chunks, type QueueTarget, type WorkerHooks } from '../lib/target.js';

export type SluiceKind = 'sqlite' | 'postgres' | 'redis' | 'rabbitmq' | 'nats';

/** The wait queues the amqp backend may declare per queue (src/backends/rabbitmq/topology.ts). */
const WAIT_BUCKETS_MS = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000];

/** Deletes the named queues, ignoring those that do not exist (one channel each: an error closes it). */
async function deleteAmqpQueues(names: string[]): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  conn.on('error', () => {});
  try {
    for (const name of names) {
      try {
        const ch = await conn.createChannel();
        ch.on('error', () => {});
        await ch.deleteQueue(name);
        await ch.close();
      } catch {
        // gone already
      }
    }
  } finally {
    await conn.close();
  }
}

/** Deletes the named JetStream streams, ignoring those that do not exist. */
async function deleteNatsStreams(names: string[]): Promise<void> {
  const nc = await connectNats({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of names) await jsm.streams.delete(name).catch(() => false);
  } finally {
    await nc.close();
  }
}

/** Sluice's own bulk limit per call. */
const BULK = 1000;
const QUEUE = 'bench';

/** Sluice through its public facade: enqueue / enqueueMany / worker with the `noop` handler. */
export class SluiceTarget implements QueueTarget {
  readonly name: string;
  sluice: Sluice | undefined;
  url = '';
  /** The job store of a transport-only backend (rabbitmq, nats): a PostgreSQL schema of its own. */
  store: string | undefined;
  private cleanup: () => Promise<void> = async () => {};

  /** `existing`: attach to a store another target created (a backend URL); teardown leaves it. */
  constructor(
    readonly kind: SluiceKind,
    private readonly existing?: string,
  ) {
    this.name = `sluice-${kind}`;
  }

  get address(): string {
    return this.store === undefined ? this.url : `${this.url} ${this.store}`;
  }

  async setup(): Promise<void> {
    if (this.existing) {
      const [url, store] = this.existing.split(' ');
      this.url = url!;
      this.store = store;
    } else if (this.kind === 'rabbitmq') {
      const prefix = uniqueName('bench-sluice');
      const schema = uniqueName('bench_sluice_store');
      this.url = `${AMQP_URL}?prefix=${prefix}`;
      this.store = sluicePgUrl(schema);
      this.cleanup = async () => {
        await dropSchema(schema);
        await deleteAmqpQueues([`${prefix}.${QUEUE}`, ...WAIT_BUCKETS_MS.map((ms) => `${prefix}.${QUEUE}.wait.${ms}`)]);
      };
    } else if (this.kind === 'nats') {
      const prefix = uniqueName('bench-sluice');
      const schema = uniqueName('bench_sluice_store');
      this.url = `${NATS_URL}?prefix=${prefix}`;
      this.store = sluicePgUrl(schema);
      this.cleanup = async () => {
        await dropSchema(schema);
        await deleteNatsStreams([workStreamName(prefix, QUEUE), deadStreamName(prefix)]);
      };
    } else {
      const storage = sluiceStorage(this.kind);
      this.url = storage.url;
      this.cleanup = () => storage.remove();
    }
    this.sluice = await LoadedSluice.connect(this.url, this.store === undefined ? {} : { store: this.store });
  }

  get backend(): Backend {
    return this.sluice!.backend;
  }

  async enqueueOne(input: object): Promise<void> {
    await this.sluice!.enqueue({ type: 'noop', queue: QUEUE, input });
  }

  async enqueueBulk(inputs: object[]): Promise<void> {
    for (const batch of chunks(inputs, BULK)) {
      await this.sluice!.enqueueMany(batch.map((input) => ({ type: 'noop', queue: QUEUE, input })));
    }
  }

  async startWorker(hooks: WorkerHooks): Promise<{ stop: () => Promise<void> }> {
    const worker: Worker = this.sluice!.worker({
      queues: [QUEUE],
      concurrency: hooks.concurrency,
      prefetch: hooks.prefetch,
      handlers: {
        noop: ({ job }) => {
          hooks.onStart?.(job.input as BenchJob);
          return null;
        },
      },
    });
    worker.on('job:succeeded', () => hooks.onDone());
    await worker.start();
    return { stop: () => worker.stop({ graceMs: 5_000 }) };
  }

  /** Depth workload: one claim call of `limit`, then one complete call for what it got. */
  async claimAndComplete(limit: number): Promise<number> {
    const jobs = await this.backend.claim({ queues: [QUEUE], types: ['noop'], limit, leaseMs: 30_000, workerId: 'bench' });
    if (jobs.length > 0)
      await this.backend.complete({ items: jobs.map((j) => ({ id: j.id, leaseToken: j.leaseToken, output: null })) });
    return jobs.length;
  }

  /** PostgreSQL (also as the amqp and nats store): statistics for the schema, as autovacuum would keep them. */
  async analyze(): Promise<void> {
    const url = this.kind === 'postgres' ? this.url : this.kind === 'rabbitmq' || this.kind === 'nats' ? this.store : undefined;
    const schema = url === undefined ? null : new URL(url).searchParams.get('schema');
    if (schema) await analyzeSchema(schema);
  }

  async teardown(): Promise<void> {
    try {
      await this.sluice?.close({ graceMs: 2_000 });
    } finally {
      this.sluice = undefined;
      await this.cleanup();
    }
  }
}
