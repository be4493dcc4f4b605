import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type ChannelModel, connect } from 'amqplib';
import { RabbitmqBackend } from '../../src/backends/rabbitmq/rabbitmq-backend.js';
import { workQueueName } from '../../src/backends/rabbitmq/topology.js';
import { openSqliteBackend } from '../../src/backends/sqlite/sqlite-backend.js';
import { ReclaimedWatch } from '../../src/backends/transport/reclaimed-watch.js';
import { toNewJob } from '../../src/core/new-job.js';
import { startLeaseReaper } from '../../src/worker/lease-reaper.js';
import { Worker } from '../../src/worker/worker.js';
import { serviceSkipReason } from '../helpers/require-service.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const url = process.env.SLUICE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const skip = await serviceSkipReason('RabbitMQ', url, async () => {
  const model = await connect(url);
  await model.close();
});
const quiet = () => undefined;
/** Far beyond the test's own timeout: the outbox relay's sweep cannot be what delivers the job. */
const NO_RELAY = { relayIntervalMs: 600_000, relayMinAgeMs: 600_000 };

describe('ReclaimedWatch', () => {
  test('hands out due jobs of the asked queues and types once, and forgets old ones', () => {
    const watch = new ReclaimedWatch(1_000, 5_000);
    watch.add(
      [
        { id: 'a', queue: 'q', type: 'echo' },
        { id: 'b', queue: 'q', type: 'other' },
        { id: 'c', queue: 'r', type: 'echo' },
      ],
      0,
    );
    assert.deepEqual(watch.takeDue(['q'], undefined, 10, 999), [], 'not before recheckMs');
    assert.deepEqual(watch.takeDue(['q'], new Set(['echo']), 10, 1_000), ['a']);
    assert.deepEqual(watch.takeDue(['q'], new Set(['echo']), 10, 1_000), [], 'each job once');
    assert.deepEqual(watch.takeDue(['q', 'r'], undefined, 1, 1_000).length, 1, 'at most limit');
    assert.deepEqual(watch.takeDue(['q', 'r'], undefined, 10, 5_000), [], 'forgotten past forgetMs');
    assert.equal(watch.size, 0);
  });
});

describe('rabbitmq: a reclaimed job', { skip }, () => {
  test('runs again on another handle even while a frozen consumer holds its republished message', {
    timeout: 60_000,
  }, async () => {
    const tmp = makeTempDir('sluice-amqp-reclaim-');
    const path = join(tmp.dir, 'store.db');
    const prefix = `sluicetest-${randomUUID()}`;
    const open = async () =>
      RabbitmqBackend.open({ url, store: await openSqliteBackend({ path }), prefix, warn: quiet, ...NO_RELAY });
    const dying = await open();
    const survivor = await open();
    let frozen: ChannelModel | undefined;
    try {
      const [created] = await dying.enqueue({ jobs: [toNewJob({ queue: 'default', type: 'echo', input: 'again' }, {}, '')] });
      const id = created!.job.id;
      const [claimed] = await dying.claim({ queues: ['default'], limit: 1, leaseMs: 500, workerId: 'dies' });
      assert.equal(claimed?.id, id);
      // The worker behind `dying` is gone: no heartbeat, no release, its lease runs out. A frozen
      // process (SIGSTOP, a stalled VM) keeps its connection and consumer open and takes deliveries
      // it never acks: the broker may hand it the reclaimed job's message.
      frozen = await connect(url);
      const frozenChannel = await frozen.createChannel();
      await frozenChannel.prefetch(100);
      await frozenChannel.consume(workQueueName(prefix, 'default'), () => undefined);

      const worker = new Worker(survivor, { handlers: { echo: ({ job }) => job.input }, pollIntervalMs: 100, leaseMs: 5_000 });
      const stopReaper = startLeaseReaper(survivor, { intervalMs: 200 });
      const ran = worker.once('job:succeeded', ({ job }) => job.id === id);
      await worker.start();
      const { job, output } = await ran;
      assert.equal(job.attempts, 2, 'the second attempt, after the reclaim');
      assert.equal(output, 'again');
      await stopReaper();
      await worker.stop();
    } finally {
      await frozen?.close();
      const names = new Set([dying, survivor].flatMap((b) => b.declaredQueues()));
      for (const b of [dying, survivor]) await b.close();
      const model = await connect(url);
      const channel = await model.createChannel();
      for (const name of names) await channel.deleteQueue(name);
      await model.close();
      tmp.cleanup();
    }
  });
});
