import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import pg from 'pg';
import { openBackend } from '../../src/backends/open-backend.js';
import { openPostgresBackend } from '../../src/backends/postgres/postgres-backend.js';
import { RabbitmqBackend, type RabbitmqBackendOptions } from '../../src/backends/rabbitmq/rabbitmq-backend.js';
import {
  amqpPriority,
  deadLetterExchangeName,
  deadQueueName,
  delayBucketMs,
  workQueueName,
} from '../../src/backends/rabbitmq/topology.js';
import { RedisBackend } from '../../src/backends/redis/redis-backend.js';
import { openSqliteBackend } from '../../src/backends/sqlite/sqlite-backend.js';
import { encodeMessage } from '../../src/backends/transport/job-message.js';
import type { Backend } from '../../src/core/backend.js';
import { ErrorCodes } from '../../src/core/errors.js';
import type { ClaimedJob, Job } from '../../src/core/job.js';
import { toNewJob } from '../../src/core/new-job.js';
import { Sluice } from '../../src/sluice.js';
import { type BackendFactory, runConformance } from '../conformance/index.js';
import type { FakeClock } from '../helpers/fake-clock.js';
import { dropRedisPrefix } from '../helpers/redis-prefix.js';
import { serviceSkipReason } from '../helpers/require-service.js';
import { redisStoreSkip } from '../helpers/store-rig.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const url = process.env.SLUICE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const skip = await serviceSkipReason('RabbitMQ', url, async () => {
  const model = await connect(url);
  await model.close();
});

const redisUrl = process.env.SLUICE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisSkip = await redisStoreSkip();

const pgUrl = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgSkip = await serviceSkipReason('PostgreSQL', pgUrl, () =>
  pgAdmin((client) => client.query('SELECT 1')).then(() => undefined),
);

async function pgAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const quiet = () => undefined;

/** Deletes the queues and exchanges a test declared (its own prefix), leaving the broker as it was. */
async function dropQueues(names: string[], exchanges: string[] = []): Promise<void> {
  if (names.length === 0 && exchanges.length === 0) return;
  const model = await connect(url);
  try {
    const channel = await model.createChannel();
    for (const name of names) await channel.deleteQueue(name);
    for (const name of exchanges) await channel.deleteExchange(name);
    await channel.close();
  } finally {
    await model.close();
  }
}

type StoreKind = 'sqlite' | 'redis' | 'postgres';

/** A store of its own for one test: a temp SQLite file, a Redis key prefix or a PostgreSQL schema. */
function storeRig(
  kind: StoreKind,
  maxOutputBytes?: number,
): { open(clock?: FakeClock): Promise<Backend>; path: string; cleanup(): Promise<void> } {
  if (kind === 'redis') {
    const prefix = `sluicetest-${randomUUID()}`;
    return {
      path: '',
      open: (clock) => RedisBackend.open({ url: redisUrl, prefix, warn: quiet, maxOutputBytes, ...(clock ? { clock } : {}) }),
      cleanup: () => dropRedisPrefix(redisUrl, prefix),
    };
  }
  if (kind === 'postgres') {
    const schema = `sluice_test_${randomBytes(6).toString('hex')}`;
    return {
      path: '',
      open: (clock) => openPostgresBackend({ url: pgUrl, schema, poolSize: 4, ...(clock ? { clock } : {}) }),
      cleanup: () => pgAdmin((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)).then(() => undefined),
    };
  }
  const tmp = makeTempDir('sluice-amqp-');
  const path = join(tmp.dir, 'store.db');
  return {
    path,
    open: (clock) => openSqliteBackend({ path, ...(clock ? { clock } : {}) }),
    cleanup: async () => tmp.cleanup(),
  };
}

/** A transport over a store of its own (SQLite unless said), on its own queue prefix; `cleanup` removes all. */
async function rig(
  options: { clock?: FakeClock; extra?: Partial<RabbitmqBackendOptions>; store?: StoreKind; maxOutputBytes?: number } = {},
) {
  const storage = storeRig(options.store ?? 'sqlite', options.maxOutputBytes);
  const prefix = `sluicetest-${randomUUID()}`;
  const opened: RabbitmqBackend[] = [];
  const open = async (extra: Partial<RabbitmqBackendOptions> = {}): Promise<RabbitmqBackend> => {
    const store = await storage.open(options.clock);
    const backend = await RabbitmqBackend.open({
      url,
      store,
      prefix,
      warn: quiet,
      ...(options.clock ? { clock: options.clock } : {}),
      ...options.extra,
      ...extra,
    });
    opened.push(backend);
    return backend;
  };
  const backend = await open();
  return {
    backend,
    open,
    prefix,
    path: storage.path,
    cleanup: async () => {
      const names = new Set(opened.flatMap((b) => b.declaredQueues()));
      const exchanges = new Set(opened.flatMap((b) => b.declaredExchanges()));
      for (const b of opened) await b.close();
      await dropQueues([...names], [...exchanges]);
      await storage.cleanup();
    },
  };
}

/** Whether the transport's store declares `flag` (the roles a transport forwards from its store). */
function storeDeclares(backend: Backend, flag: 'eventLog' | 'records'): boolean {
  return (backend as unknown as { store: Backend }).store.capabilities[flag] === true;
}

/** The conformance factory of the transport over one kind of store. */
function conformanceFactory(store: StoreKind): BackendFactory {
  return async ({ clock }) => {
    // On a fake clock the broker's TTL timers cannot see time move: the relay runs at every claim
    // that comes up short, so due jobs reach the broker the moment the store says they are due.
    const r = await rig({ clock, store, extra: { relayIntervalMs: 0, relayMinAgeMs: 0, minPrefetch: 100, claimSettleMs: 15 } });
    return { backend: r.backend, openAnother: () => r.open(), cleanup: r.cleanup, priorityBucket: amqpPriority };
  };
}

runConformance('rabbitmq+sqlite', conformanceFactory('sqlite'), { skip });
// The design documents' architecture (RabbitMQ + a Redis store): the whole suite.
runConformance('rabbitmq+redis', conformanceFactory('redis'), { skip: skip ?? redisSkip });
// PostgreSQL as the store: a focused subset (its own conformance run in postgres.test.ts covers the
// rest), the areas where the store does the transport's work: claim order and claim by id,
// fencing, retries and delays, pause, dead letter and redrive, racing claimers, claims by tenant
// (the store's own claim, which the transport hands a tenant-scoped claim).
runConformance('rabbitmq+postgres', conformanceFactory('postgres'), {
  skip: skip ?? pgSkip,
  only: [
    'claim order',
    'leases and fencing',
    'delays and retry',
    'pause',
    'dead letter and redrive',
    'concurrent claimers',
    'claim by id',
    'claim by tenant',
  ],
});

describe('rabbitmq adapter', { skip }, () => {
  test('maps priorities onto 0..8 buckets and delays onto wait queues that never cut a delay short', () => {
    assert.deepEqual(
      [-1000, -100, -10, -1, 0, 1, 9, 10, 99, 100, 999, 1000].map(amqpPriority),
      [0, 1, 2, 3, 4, 5, 5, 6, 6, 7, 7, 8],
    );
    assert.equal(delayBucketMs(500), 1000);
    assert.equal(delayBucketMs(1000), 1000);
    assert.equal(delayBucketMs(11_000), 10_000);
    assert.equal(delayBucketMs(10 * 86_400_000), 86_400_000);
  });

  test('open-backend opens amqp:// with SLUICE_STORE and refuses it without one', async () => {
    const tmp = makeTempDir('sluice-amqp-open-');
    const prefix = `sluicetest-${randomUUID()}`;
    await assert.rejects(openBackend(url), (e: unknown) => (e as { code?: string }).code === ErrorCodes.config);
    const backend = (await openBackend(`${url}?prefix=${prefix}`, {
      store: `sqlite:${join(tmp.dir, 's.db')}`,
    })) as RabbitmqBackend;
    try {
      assert.equal(backend.name, 'rabbitmq');
      // Over an embedded store an enqueue is a store write and a send, both within the caller's turn.
      assert.equal(backend.capabilities.synchronousWrites, true);
      await backend.ping();
      const [result] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const [claimed] = await backend.claim({ queues: ['default'], limit: 1, leaseMs: 10_000, workerId: 'w' });
      assert.equal(claimed?.id, result?.job.id);
      assert.deepEqual(backend.declaredQueues(), [workQueueName(prefix, 'default')]);
    } finally {
      const names = backend.declaredQueues();
      await backend.close();
      await dropQueues(names);
      tmp.cleanup();
    }
  });

  // The transport's flags are its own (no claim by id, coarse order) and its store's (the ledgers,
  // output text, whether writes settle in the caller's turn): pinned over each kind of store.
  const transportFlags = {
    claimById: false,
    strictOrder: false,
    rateBudgets: true,
    outputText: true,
    usage: true,
    tenantClaims: true,
  };
  // The event log and the record store are the store's too: pinned over SQLite; over the other
  // stores the transport declares each exactly when the store does (each store's own test pins it).
  const pinned: ReadonlyArray<readonly [StoreKind, string | undefined, Record<string, boolean>]> = [
    [
      'sqlite',
      undefined,
      {
        crossProcessEvents: false,
        multiMachine: false,
        ...transportFlags,
        synchronousWrites: true,
        eventLog: true,
        records: true,
      },
    ],
    ['redis', redisSkip, { crossProcessEvents: true, multiMachine: true, ...transportFlags, synchronousWrites: false }],
    ['postgres', pgSkip, { crossProcessEvents: true, multiMachine: true, ...transportFlags, synchronousWrites: false }],
  ];
  for (const [store, storeSkip, expected] of pinned) {
    test(`declares exactly its capabilities over a ${store} store (a flipped flag is a red test)`, {
      skip: storeSkip ?? false,
    }, async () => {
      const r = await rig({ store });
      try {
        assert.deepEqual(r.backend.capabilities, {
          eventLog: storeDeclares(r.backend, 'eventLog'),
          records: storeDeclares(r.backend, 'records'),
          ...expected,
        });
      } finally {
        await r.cleanup();
      }
    });
  }

  test('a redelivered message for a job that already ended is acked and dropped, not run again', async () => {
    const r = await rig();
    try {
      const { backend, prefix } = r;
      const [result] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const job = result!.job;
      const [claimed] = await backend.claim({ queues: ['default'], limit: 1, leaseMs: 10_000, workerId: 'w' });
      assert.equal(claimed?.id, job.id);
      await backend.complete({ items: [{ id: job.id, leaseToken: claimed!.leaseToken, output: 1 }] });
      // The same message again (a redelivery after a lost ack, a relay duplicate).
      await publishRaw(workQueueName(prefix, 'default'), job);
      assert.deepEqual(await backend.claim({ queues: ['default'], limit: 1, leaseMs: 10_000, workerId: 'w' }), []);
      assert.equal((await backend.get({ id: job.id }))?.attempts, 1);
      assert.equal(await messagesIn(workQueueName(prefix, 'default')), 0, 'the duplicate was acked, not requeued');
    } finally {
      await r.cleanup();
    }
  });

  test('the outbox relay publishes a job that was written to the store but never published', async () => {
    const r = await rig({ extra: { relayIntervalMs: 0, relayMinAgeMs: 0 } });
    try {
      // Written to the store behind the transport's back: the crash between store write and publish.
      const store = await openSqliteBackend({ path: r.path });
      const [lost] = await store.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      await store.close();
      const [claimed] = await r.backend.claim({ queues: ['default'], limit: 1, leaseMs: 10_000, workerId: 'w' });
      assert.equal(claimed?.id, lost?.job.id);
    } finally {
      await r.cleanup();
    }
  });

  test('during a backlog the relay republishes only what the prefetch windows cannot account for', async () => {
    const r = await rig({ extra: { relayIntervalMs: 60_000, relayMinAgeMs: 0, minPrefetch: 10 } });
    try {
      const backend = r.backend;
      const relayed: string[] = [];
      const internals = backend as unknown as {
        publishJobs(jobs: Job[]): Promise<void>;
        relay(queues: string[], minAgeMs: number): Promise<void>;
      };
      const publish = internals.publishJobs.bind(backend);
      await backend.enqueue({ jobs: Array.from({ length: 30 }, () => toNewJob({ type: 'noop' })) });
      const claimed = await claimDelivered(backend);
      // The consumer's window refills behind the claim: wait until it holds its 10 deliveries.
      const ready = 30 - 1 - 10;
      await waitUntil(async () => (await messagesIn(workQueueName(r.prefix, 'default'))) === ready);
      internals.publishJobs = (jobs) => {
        relayed.push(...jobs.map((job) => job.id));
        return publish(jobs);
      };

      // 29 waiting in the store, 19 ready in the broker, 10 in the window: nothing is lost.
      await internals.relay(['default'], 0);
      assert.equal(relayed.length, 0, `relayed ${relayed.length} jobs the broker still holds`);

      // Written to the store behind the transport's back (a crash before the publish): 12 lost.
      const store = await openSqliteBackend({ path: r.path });
      const lost = await store.enqueue({ jobs: Array.from({ length: 12 }, () => toNewJob({ type: 'noop' })) });
      await store.close();
      await internals.relay(['default'], 0);
      assert.deepEqual(relayed.sort(), lost.map((l) => l.job.id).sort());
      assert.ok(!relayed.includes(claimed.id));
    } finally {
      await r.cleanup();
    }
  });

  test('a retry goes through a wait queue and comes back when its delay ran out', { timeout: 20_000 }, async () => {
    const r = await rig({ extra: { relayIntervalMs: 60_000, claimMaxWaitMs: 3_000, claimSettleMs: 3_000 } });
    try {
      const { backend } = r;
      await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const [first] = await backend.claim({ queues: ['default'], limit: 1, leaseMs: 10_000, workerId: 'w' });
      assert.ok(first);
      await backend.fail({
        items: [
          { id: first.id, leaseToken: first.leaseToken, outcome: 'retry', delayMs: 1_000, error: { code: 'E', message: 'e' } },
        ],
      });
      assert.equal((await backend.get({ id: first.id }))?.status, 'scheduled');
      // The claim waits (up to 3 s) for the delivery that the 1 s wait queue dead-letters back.
      const [second] = await backend.claim({ queues: ['default'], limit: 1, leaseMs: 10_000, workerId: 'w' });
      assert.equal(second?.id, first.id);
      assert.equal(second?.attempts, 2);
    } finally {
      await r.cleanup();
    }
  });

  test('after the broker drops every connection, nothing acknowledged is lost and consumers resume', {
    timeout: 60_000,
  }, async () => {
    const r = await rig();
    try {
      const { backend } = r;
      const total = 200;
      const results = await backend.enqueue({
        jobs: Array.from({ length: total }, (_, i) => toNewJob({ type: 'noop', input: i })),
      });
      const accepted = new Set(results.map((x) => x.job.id));
      const done = new Set<string>();
      const runBatch = async () => {
        const jobs = await backend.claim({ queues: ['default'], limit: 20, leaseMs: 60_000, workerId: 'w' });
        const outcomes = await backend.complete({
          items: jobs.map((j) => ({ id: j.id, leaseToken: j.leaseToken, output: j.input })),
        });
        for (const o of outcomes) if (o.result === 'ok') done.add(o.id);
        return jobs.length;
      };
      await runBatch();
      await runBatch();
      const before = done.size;
      assert.ok(before > 0);

      await closeAllConnections();
      await backend.whenConnected();
      // Enqueued while the consumer comes back: still published (or relayed).
      const late = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', input: 'late' })] });
      accepted.add(late[0]!.job.id);

      const deadline = Date.now() + 30_000;
      while (done.size < accepted.size && Date.now() < deadline) {
        try {
          await runBatch();
        } catch {
          await backend.whenConnected();
        }
      }
      assert.equal(done.size, accepted.size, 'every accepted job ran');
      for (const id of accepted) assert.equal((await backend.get({ id }))?.status, 'succeeded');
      const [stats] = await backend.stats({ queue: 'default' });
      assert.equal(stats?.counts.succeeded, accepted.size);
    } finally {
      await r.cleanup();
    }
  });

  test('SLUICE_BACKEND=amqp://… with SLUICE_STORE=redis://… opens, runs a job and settles it in Redis', {
    skip: redisSkip,
  }, async () => {
    const prefix = `sluicetest-${randomUUID()}`;
    const storePrefix = `sluicetest-${randomUUID()}`;
    const backend = (await openBackend(`${url}?prefix=${prefix}`, {
      store: `${redisUrl}?prefix=${storePrefix}`,
    })) as RabbitmqBackend;
    try {
      assert.equal(backend.name, 'rabbitmq');
      assert.equal(backend.capabilities.multiMachine, true);
      assert.equal(backend.capabilities.synchronousWrites, false, 'a Redis store write takes a round trip');
      await backend.ping();
      const [result] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const [claimed] = await backend.claim({ queues: ['default'], limit: 1, leaseMs: 10_000, workerId: 'w' });
      assert.equal(claimed?.id, result?.job.id);
      await backend.complete({ items: [{ id: claimed!.id, leaseToken: claimed!.leaseToken, output: 42 }] });
      const store = await RedisBackend.open({ url: redisUrl, prefix: storePrefix, warn: quiet });
      try {
        const stored = await store.get({ id: claimed!.id });
        assert.equal(stored?.status, 'succeeded');
        assert.equal(stored?.output, 42);
      } finally {
        await store.close();
      }
    } finally {
      const names = backend.declaredQueues();
      await backend.close();
      await dropQueues(names, backend.declaredExchanges());
      await dropRedisPrefix(redisUrl, storePrefix);
    }
  });

  test('a completion whose output the store refuses ends failed: the outcome says so and a copy is dead-lettered', {
    skip: redisSkip,
  }, async () => {
    const r = await rig({ store: 'redis', maxOutputBytes: 64 });
    try {
      const { backend, prefix } = r;
      const [{ job } = assert.fail()] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', input: 'big' })] });
      const leased = await claimDelivered(backend);
      const outcomes = await backend.complete({
        items: [{ id: job.id, leaseToken: leased.leaseToken, output: 'x'.repeat(200) }],
      });
      assert.equal(outcomes.length, 1);
      const [outcome] = outcomes;
      assert.equal(outcome?.result, 'failed');
      assert.equal(outcome?.result === 'failed' ? outcome.error.code : undefined, ErrorCodes.payloadTooLarge);
      const dead = await getAll(deadQueueName(prefix, 'default'));
      assert.deepEqual(
        dead.map((m) => [m.body.id, m.body.status, m.body.error.code]),
        [[job.id, 'failed', ErrorCodes.payloadTooLarge]],
      );
    } finally {
      await r.cleanup();
    }
  });

  test('complete leaves the store without a job:finished listener (which would make it read rows back)', async () => {
    const r = await rig();
    try {
      const { backend } = r;
      const store = (backend as unknown as { store: Backend }).store;
      const listening: number[] = [];
      const complete = store.complete.bind(store);
      store.complete = (params) => {
        listening.push(store.events.listenerCount('job:finished'));
        return complete(params);
      };
      const [{ job } = assert.fail()] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const leased = await claimDelivered(backend);
      const [outcome] = await backend.complete({ items: [{ id: job.id, leaseToken: leased.leaseToken, output: 1 }] });
      assert.equal(outcome?.result, 'ok');
      assert.deepEqual(listening, [0]);
      assert.equal((await backend.get({ id: job.id }))?.status, 'succeeded');
    } finally {
      await r.cleanup();
    }
  });

  test('a job that ends failed is copied to PREFIX.dlx -> PREFIX.QUEUE.dead; redrive leaves the copy', async () => {
    const r = await rig();
    try {
      const { backend, prefix } = r;
      const claimOne = (leaseMs?: number) => claimDelivered(backend, leaseMs);
      const error = { code: 'E_BOOM', message: 'boom' };
      const [{ job: a } = assert.fail()] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', input: 'a' })] });
      // A retry is not an end: no copy.
      const first = await claimOne();
      await backend.fail({ items: [{ id: a.id, leaseToken: first.leaseToken, outcome: 'retry', delayMs: 0, error }] });
      const second = await claimOne();
      await backend.fail({ items: [{ id: a.id, leaseToken: second.leaseToken, outcome: 'fail', error }] });
      // Out of attempts on an expired lease: failed by the reaper, copied too.
      const [{ job: b } = assert.fail()] = await backend.enqueue({
        jobs: [toNewJob({ type: 'noop', input: 'b', maxAttempts: 1 })],
      });
      const leased = await claimOne(50);
      assert.equal(leased.id, b.id);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 0, failed: 1 });

      const dead = await getAll(deadQueueName(prefix, 'default'));
      assert.deepEqual(
        dead.map((m) => m.body.id),
        [a.id, b.id],
      );
      assert.equal(dead[0]!.body.status, 'failed');
      assert.deepEqual(dead[0]!.body.error, error);
      assert.equal(dead[0]!.body.input, 'a');
      assert.equal(dead[0]!.messageId, a.id);
      assert.equal(dead[0]!.persistent, true);
      assert.equal(dead[1]!.body.error.code, ErrorCodes.leaseExpired);
      assert.equal(dead[0]!.exchange, deadLetterExchangeName(prefix));

      // Redrive: the store decides; the job runs again, and the broker copy was informational.
      assert.equal(await backend.redrive({ ids: [a.id] }), 1);
      assert.equal((await claimOne()).id, a.id);
      assert.equal(await messagesIn(deadQueueName(prefix, 'default')), 0, 'getAll consumed the copies (a purge)');
    } finally {
      await r.cleanup();
    }
  });

  test('a claim returns at the first delivery, takes what is buffered at once, and a delivery with no claim waiting wakes workers', async () => {
    // A long maximum wait: only the return-at-first-delivery rule makes these claims quick.
    const r = await rig({ extra: { relayIntervalMs: 60_000, claimMaxWaitMs: 5_000 } });
    try {
      const { backend } = r;
      const claim = () => backend.claim({ queues: ['default'], limit: 10, leaseMs: 10_000, workerId: 'w' });
      // Nothing buffered: the claim waits for the first delivery (here 200 ms away), not for its
      // limit or the maximum, and does not give up after a short quiet spell either.
      let started = Date.now();
      const pending = claim();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [first] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      assert.deepEqual(
        (await pending).map((j) => j.id),
        [first!.job.id],
      );
      assert.ok(Date.now() - started < 2_500, `the first claim took ${Date.now() - started} ms`);
      // No claim waiting: the delivery itself announces work to this process's idle workers.
      const woken = new Promise<void>((resolve) => {
        const off = backend.events.on('jobs:enqueued', ({ queue, remote }) => {
          if (remote && queue === 'default') {
            off();
            resolve();
          }
        });
      });
      const [second] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      await woken;
      // One buffered, limit 10: taken at once.
      started = Date.now();
      assert.deepEqual(
        (await claim()).map((j) => j.id),
        [second!.job.id],
      );
      assert.ok(Date.now() - started < 2_500, `the buffered claim took ${Date.now() - started} ms`);
    } finally {
      await r.cleanup();
    }
  });

  test("a full worker's queue is no longer consumed: an idle worker elsewhere runs the next job", {
    timeout: 20_000,
  }, async () => {
    // Both handles share the store (one file) and the queue; A runs a job that does not end until
    // the test says so. Without the release, the next job sits unacked in A's consumer, delivered
    // but unclaimable, until A's job ends, while B has nothing to do.
    // The relay (which would republish the held job once it has waited 10 s) is kept out of it.
    const r = await rig({ extra: { releaseIdleMs: 200, relayIntervalMs: 600_000 } });
    let endFirst!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => {
      endFirst = resolve;
    });
    const events: string[] = [];
    let firstRanOnA!: () => void;
    const onA = new Promise<void>((resolve) => {
      firstRanOnA = resolve;
    });
    let secondRanOnB!: () => void;
    const onB = new Promise<void>((resolve) => {
      secondRanOnB = resolve;
    });
    const a = Sluice.fromBackend(r.backend).worker({
      queues: ['default'],
      concurrency: 1,
      handlers: {
        slow: async ({ job }) => {
          events.push(`A started ${(job.input as { n: string }).n}`);
          firstRanOnA();
          await firstMayEnd;
          return null;
        },
      },
    });
    // A hungry worker on another queue of the same handle claims all the time, and comes up short:
    // that must not keep the full worker's queue consumed.
    const other = Sluice.fromBackend(r.backend).worker({ queues: ['other'], pollIntervalMs: 20, handlers: { slow: () => null } });
    const bBackend = await r.open();
    const b = Sluice.fromBackend(bBackend).worker({
      queues: ['default'],
      concurrency: 1,
      handlers: {
        slow: ({ job }) => {
          events.push(`B started ${(job.input as { n: string }).n}`);
          secondRanOnB();
          return null;
        },
      },
    });
    try {
      await other.start();
      await a.start();
      await r.backend.enqueue({ jobs: [toNewJob({ type: 'slow', input: { n: 'first' } })] });
      await onA;
      // A is full; the second job is delivered to A's consumer, which stops consuming once A has
      // not claimed for releaseIdleMs, and hands the delivery back.
      await r.backend.enqueue({ jobs: [toNewJob({ type: 'slow', input: { n: 'second' } })] });
      await b.start();
      await onB;
      assert.deepEqual(events, ['A started first', 'B started second'], 'the second job ran while the first was still running');
    } finally {
      endFirst();
      await a.stop();
      await other.stop();
      await b.stop();
      await r.cleanup();
    }
  });

  test("enqueue answers once the store has the job, not after the broker's confirm; a claim here lets its own publishes land first", async () => {
    const r = await rig({ extra: { relayIntervalMs: 60_000 } });
    const pub = (r.backend as unknown as { link?: { pub: { waitForConfirms(): Promise<void> } } }).link?.pub;
    assert.ok(pub, 'the backend is connected');
    const realWait = pub.waitForConfirms.bind(pub);
    // Confirms that arrive only when the test lets them (the broker itself confirms as usual).
    let letConfirm!: () => void;
    const confirmsMayArrive = new Promise<void>((resolve) => {
      letConfirm = resolve;
    });
    let waits = 0;
    let secondWaitBegan!: () => void;
    const secondWait = new Promise<void>((resolve) => {
      secondWaitBegan = resolve;
    });
    pub.waitForConfirms = async () => {
      waits++;
      if (waits === 1) secondWaitBegan();
      await confirmsMayArrive;
      return realWait();
    };
    const unconfirmed = () => (r.backend as unknown as { unconfirmed: number }).unconfirmed;
    try {
      const [job] = await r.backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      assert.equal((await r.backend.get({ id: job!.job.id }))?.status, 'queued', 'answered after the store write');
      assert.equal(waits, 0, 'the answer did not wait for the confirm (its callback reports a failure)');

      // Too many unconfirmed publishes: the next enqueue waits for the broker (back-pressure).
      (r.backend as unknown as { unconfirmed: number }).unconfirmed += 10_000;
      let answered = false;
      const pressed = r.backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] }).then(() => {
        answered = true;
      });
      await secondWait;
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(answered, false, 'held until the confirms arrive');
      letConfirm();
      await pressed;
      (r.backend as unknown as { unconfirmed: number }).unconfirmed -= 10_000;
      assert.equal(unconfirmed(), 0, 'every publish was confirmed');

      const claimed = await r.backend.claim({ queues: ['default'], limit: 10, leaseMs: 10_000, workerId: 'w' });
      assert.equal(claimed.length, 2);
    } finally {
      letConfirm();
      await r.cleanup();
    }
  });

  test('leased deliveries are acked in one frame only when no earlier delivery is still open', async () => {
    const r = await rig({ extra: { relayIntervalMs: 60_000, minPrefetch: 20, claimMaxWaitMs: 300, claimSettleMs: 100 } });
    const queue = workQueueName(r.prefix, 'default');
    try {
      const claim = (backend: RabbitmqBackend, limit: number) =>
        backend.claim({ queues: ['default'], limit, leaseMs: 10_000, workerId: 'w' });
      assert.deepEqual(await claim(r.backend, 1), [], 'nothing yet; the consumer is on');
      // Delivered in this order (tags 1–5 low, 6–10 high); the next claim takes the high ones.
      const low = await r.backend.enqueue({ jobs: Array.from({ length: 5 }, () => toNewJob({ type: 'noop', priority: -10 })) });
      const high = await r.backend.enqueue({ jobs: Array.from({ length: 5 }, () => toNewJob({ type: 'noop', priority: 10 })) });
      const first = await claim(r.backend, 5);
      assert.deepEqual(new Set(first.map((job) => job.id)), new Set(high.map((result) => result.job.id)));
      // Tags 1–5 were still buffered: a cumulative ack up to tag 10 would have settled them too.
      // Closing the channel gives every unacked delivery back to the queue.
      await acksApplied(r.backend, queue);
      await r.backend.close();
      assert.equal(await messagesIn(queue), 5);

      const other = await r.open();
      const second = await claim(other, 5);
      assert.deepEqual(new Set(second.map((job) => job.id)), new Set(low.map((result) => result.job.id)));
      await acksApplied(other, queue);
      await other.close();
      assert.equal(await messagesIn(queue), 0, 'the whole batch was acked');
    } finally {
      await r.cleanup();
    }
  });

  test('weaker order: across claims only the priority buckets hold; one claim is sorted exactly', async () => {
    const r = await rig();
    try {
      const { backend } = r;
      assert.equal(backend.capabilities.strictOrder, false);
      // Published in this order: 1 and 9 share AMQP bucket 5, 100 is in bucket 7.
      const jobs = (
        await backend.enqueue({
          jobs: [1, 9, 100].map((priority) => toNewJob({ type: 'noop', priority, input: priority })),
        })
      ).map((x) => x.job);
      const order: number[] = [];
      for (let i = 0; i < 3; i++) {
        const [job] = await backend.claim({ queues: ['default'], limit: 1, leaseMs: 10_000, workerId: 'w' });
        order.push(job!.priority);
      }
      // The higher bucket first; within a bucket the broker's FIFO, not the exact priority (9 > 1).
      assert.deepEqual(order, [100, 1, 9]);
      assert.equal(jobs.length, 3);

      // One claim over jobs that reached this consumer together is sorted exactly.
      await backend.enqueue({ jobs: [1, 9, 5].map((priority) => toNewJob({ type: 'noop', priority })) });
      const batch: number[] = [];
      for (let i = 0; i < 10 && batch.length < 3; i++) {
        const claimed = await backend.claim({ queues: ['default'], limit: 3, leaseMs: 10_000, workerId: 'w' });
        const priorities = claimed.map((j) => j.priority);
        assert.deepEqual(
          priorities,
          [...priorities].sort((x, y) => y - x),
        );
        batch.push(...priorities);
      }
      assert.deepEqual([...batch].sort(), [1, 5, 9]);
    } finally {
      await r.cleanup();
    }
  });

  test("declares the store's tenant claims; a tenant claim is the store's, and its message later leases nothing", async () => {
    const r = await rig({ extra: { relayIntervalMs: 60_000 } });
    try {
      const { backend, prefix } = r;
      assert.equal(backend.capabilities.tenantClaims, true, 'a SQLite store claims by tenant');
      // Published in this order: acme's message reaches the consumer before bolt's.
      const [{ job: mine } = assert.fail()] = await backend.enqueue({
        jobs: [toNewJob({ type: 'noop' }, { tenant: 'acme' })],
      });
      const [{ job: theirs } = assert.fail()] = await backend.enqueue({
        jobs: [toNewJob({ type: 'noop' }, { tenant: 'bolt' })],
      });
      const scoped = await backend.claim({ queues: ['default'], tenant: 'acme', limit: 10, leaseMs: 10_000, workerId: 'w' });
      assert.deepEqual(
        scoped.map((j) => j.id),
        [mine.id],
      );
      // Unscoped claims take both messages (acme's by the time bolt's is there): bolt's job leases,
      // acme's, already running, leases nothing and is acked and dropped.
      const leased: ClaimedJob[] = [];
      for (let i = 0; i < 20 && leased.length === 0; i++) {
        leased.push(...(await backend.claim({ queues: ['default'], limit: 10, leaseMs: 10_000, workerId: 'w' })));
      }
      assert.deepEqual(
        leased.map((j) => j.id),
        [theirs.id],
      );
      assert.equal((await backend.get({ id: mine.id }))?.attempts, 1, 'its delivery started no second attempt');
      // Closing gives every unacked delivery back: none is left, so both were acked.
      const queue = workQueueName(prefix, 'default');
      await acksApplied(backend, queue);
      await backend.close();
      assert.equal(await messagesIn(queue), 0);
    } finally {
      await r.cleanup();
    }
  });

  test('over a store without tenant claims, declares none and refuses a tenant-scoped claim', async () => {
    const tmp = makeTempDir('sluice-amqp-store-');
    const store = await openSqliteBackend({ path: join(tmp.dir, 's.db') });
    const untenanted: Backend = Object.assign(Object.create(store) as Backend, {
      capabilities: { ...store.capabilities, tenantClaims: false },
    });
    const backend = await RabbitmqBackend.open({
      url,
      store: untenanted,
      prefix: `sluicetest-${randomUUID()}`,
      warn: quiet,
      ownsStore: false,
    });
    try {
      assert.equal(backend.capabilities.tenantClaims, false);
      await assert.rejects(
        backend.claim({ queues: ['default'], tenant: 'acme', limit: 1, leaseMs: 10_000, workerId: 'w' }),
        (e: unknown) => (e as { code?: string }).code === ErrorCodes.config,
      );
    } finally {
      await backend.close();
      await store.close();
      tmp.cleanup();
    }
  });

  test('refuses a store that cannot claim by id', async () => {
    const tmp = makeTempDir('sluice-amqp-store-');
    const store = await openSqliteBackend({ path: join(tmp.dir, 's.db') });
    const limited: Backend = Object.assign(Object.create(store) as Backend, {
      capabilities: { ...store.capabilities, claimById: false },
    });
    try {
      await assert.rejects(
        RabbitmqBackend.open({ url, store: limited, warn: quiet }),
        (e: unknown) => (e as { code?: string }).code === ErrorCodes.config,
      );
    } finally {
      await store.close();
      tmp.cleanup();
    }
  });
});

async function publishRaw(queue: string, job: { id: string; queue: string; type: string; priority: number; runAt: number }) {
  const model = await connect(url);
  try {
    const channel = await model.createConfirmChannel();
    channel.sendToQueue(queue, encodeMessage(job), { persistent: true });
    await channel.waitForConfirms();
  } finally {
    await model.close();
  }
}

/** Takes every message of a queue (basic.get, acked): the test's view of broker-side tooling. */
interface BrokerCopy {
  body: { id: string; status: string; input: unknown; error: { code: string; message: string } };
  messageId: string;
  persistent: boolean;
  exchange: string;
}

/**
 * Claims one job of `default`. A claim waits only briefly for the broker's delivery; on a busy
 * machine the message may arrive later, announced by a (remote) jobs:enqueued event: this waits for
 * it and claims again.
 */
async function claimDelivered(backend: RabbitmqBackend, leaseMs = 10_000): Promise<ClaimedJob> {
  for (let tries = 0; tries < 20; tries++) {
    const delivered = new Promise<void>((resolve) => {
      const off = backend.events.on('jobs:enqueued', () => {
        off();
        resolve();
      });
      setTimeout(() => {
        off();
        resolve();
      }, 500).unref();
    });
    const [job] = await backend.claim({ queues: ['default'], limit: 1, leaseMs, workerId: 'w' });
    if (job) return job;
    await delivered;
  }
  return assert.fail('no job was delivered after 20 claims');
}

async function getAll(queue: string): Promise<BrokerCopy[]> {
  const model = await connect(url);
  try {
    const channel = await model.createChannel();
    const out: BrokerCopy[] = [];
    for (;;) {
      const message = await channel.get(queue);
      if (message === false) break;
      channel.ack(message);
      out.push({
        body: JSON.parse(message.content.toString('utf8')) as BrokerCopy['body'],
        messageId: String(message.properties.messageId),
        persistent: message.properties.deliveryMode === 2,
        exchange: message.fields.exchange,
      });
    }
    await channel.close();
    return out;
  } finally {
    await model.close();
  }
}

/** Polls an external condition (the broker's counters have no event) until it holds, 5 s at most. */
async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Resolves once the broker has applied every ack the backend sent so far: a round trip on the
 * consuming channel itself, whose frames the broker handles in order (acks have no reply of their
 * own, and a close right after them may overtake them on the connection).
 */
async function acksApplied(backend: RabbitmqBackend, queue: string): Promise<void> {
  const link = (backend as unknown as { link?: { sub: { checkQueue(name: string): Promise<unknown> } } }).link;
  assert.ok(link, 'the backend is connected');
  await link.sub.checkQueue(queue);
}

async function messagesIn(queue: string): Promise<number> {
  const model = await connect(url);
  try {
    const channel = await model.createChannel();
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await model.close();
  }
}

/** Force-closes every client connection on the broker (rabbitmqctl, as root; else the test's own). */
async function closeAllConnections(): Promise<void> {
  await promisify(execFile)('rabbitmqctl', ['close_all_connections', 'sluice test: broker drop']);
}
