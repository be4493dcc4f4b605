import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { openBackend } from '../../src/backends/open-backend.js';
import { RabbitmqBackend, type RabbitmqBackendOptions } from '../../src/backends/rabbitmq/rabbitmq-backend.js';
import { amqpPriority, delayBucketMs, encodeMessage, workQueueName } from '../../src/backends/rabbitmq/topology.js';
import { openSqliteBackend } from '../../src/backends/sqlite/sqlite-backend.js';
import type { Backend } from '../../src/core/backend.js';
import { ErrorCodes } from '../../src/core/errors.js';
import { toNewJob } from '../../src/core/new-job.js';
import { runConformance } from '../conformance/index.js';
import type { FakeClock } from '../helpers/fake-clock.js';
import { serviceSkipReason } from '../helpers/require-service.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const url = process.env.SLUICE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const skip = await serviceSkipReason('RabbitMQ', url, async () => {
  const model = await connect(url);
  await model.close();
});

const quiet = () => undefined;

/** Deletes the queues a test declared (its own prefix), leaving the broker as it was. */
async function dropQueues(names: string[]): Promise<void> {
  if (names.length === 0) return;
  const model = await connect(url);
  try {
    const channel = await model.createChannel();
    for (const name of names) await channel.deleteQueue(name);
    await channel.close();
  } finally {
    await model.close();
  }
}

/** A transport over a SQLite store in its own temp dir, on its own queue prefix; `cleanup` removes all. */
async function rig(options: { clock?: FakeClock; extra?: Partial<RabbitmqBackendOptions> } = {}) {
  const tmp = makeTempDir('sluice-amqp-');
  const path = join(tmp.dir, 'store.db');
  const prefix = `sluicetest-${randomUUID()}`;
  const opened: RabbitmqBackend[] = [];
  const open = async (extra: Partial<RabbitmqBackendOptions> = {}): Promise<RabbitmqBackend> => {
    const store = await openSqliteBackend({ path, ...(options.clock ? { clock: options.clock } : {}) });
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
    path,
    cleanup: async () => {
      const names = new Set(opened.flatMap((b) => b.declaredQueues()));
      for (const b of opened) await b.close();
      await dropQueues([...names]);
      tmp.cleanup();
    },
  };
}

runConformance(
  'rabbitmq+sqlite',
  async ({ clock }) => {
    // On a fake clock the broker's TTL timers cannot see time move: the relay runs at every claim
    // that comes up short, so due jobs reach the broker the moment the store says they are due.
    const r = await rig({ clock, extra: { relayIntervalMs: 0, relayMinAgeMs: 0, minPrefetch: 100, claimSettleMs: 15 } });
    return { backend: r.backend, openAnother: () => r.open(), cleanup: r.cleanup };
  },
  { skip },
);

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
