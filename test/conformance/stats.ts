import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { emptyCounts, type QueueStats } from '../../src/core/job.js';
import { type BackendFactory, backendTest, claim, claimOne, enqueue, enqueueOne, leaseOf } from './harness.js';

function byName(stats: QueueStats[], name: string): QueueStats {
  const found = stats.find((s) => s.name === name);
  assert.ok(found, `stats for queue ${name}`);
  return found;
}

/** Per-queue counts, the pause flag and lag. */
export function statsSuite(factory: BackendFactory): void {
  describe('stats', () => {
    const it = backendTest(factory);

    it('an empty backend has no queues', async ({ backend }) => {
      assert.deepEqual(await backend.stats(), []);
    });

    it('counts jobs per state per queue', async ({ backend }) => {
      await enqueue(backend, {}, {}, {}, {}, {}, { delayMs: 60_000 }, { queue: 'other' });
      const [toSucceed, toFail, toRun] = await claim(backend, { limit: 3 });
      assert.ok(toSucceed && toFail && toRun);
      await backend.complete({ items: [{ ...leaseOf(toSucceed), output: 1 }] });
      await backend.fail({ items: [{ ...leaseOf(toFail), outcome: 'fail', error: { code: 'E', message: 'e' } }] });
      const waiting = await enqueueOne(backend);
      await backend.cancel({ id: waiting.id });

      const stats = await backend.stats();
      assert.deepEqual(stats.map((s) => s.name).sort(), ['default', 'other']);
      assert.deepEqual(byName(stats, 'default').counts, {
        scheduled: 1,
        queued: 2,
        running: 1,
        succeeded: 1,
        failed: 1,
        cancelled: 1,
      });
      assert.deepEqual(byName(stats, 'other').counts, { ...emptyCounts(), queued: 1 });
      assert.equal(byName(stats, 'default').paused, false);
    });

    it('lag is the age of the oldest queued job, 0 when none waits', async ({ backend, clock }) => {
      await enqueueOne(backend);
      clock.advance(3000);
      await enqueueOne(backend);
      clock.advance(2000);
      let stats = await backend.stats({ queue: 'default' });
      assert.equal(byName(stats, 'default').oldestQueuedAgeMs, 5000);
      await claimOne(backend);
      stats = await backend.stats({ queue: 'default' });
      assert.equal(byName(stats, 'default').oldestQueuedAgeMs, 2000);
      await claimOne(backend);
      stats = await backend.stats({ queue: 'default' });
      assert.equal(byName(stats, 'default').oldestQueuedAgeMs, 0);
    });

    it('a delayed job counts as scheduled, then as queued with lag from its runAt', async ({ backend, clock }) => {
      await enqueueOne(backend, { delayMs: 10_000 });
      clock.advance(5000);
      let stats = byName(await backend.stats(), 'default');
      assert.deepEqual(stats.counts, { ...emptyCounts(), scheduled: 1 });
      assert.equal(stats.oldestQueuedAgeMs, 0);
      clock.advance(6000); // due for 1 s; no claim has run since
      stats = byName(await backend.stats(), 'default');
      assert.deepEqual(stats.counts, { ...emptyCounts(), queued: 1 });
      assert.equal(stats.oldestQueuedAgeMs, 1000);
    });

    it('filters by queue and by tenant', async ({ backend }) => {
      await enqueueOne(backend, { queue: 'a' }, { tenant: 'acme' });
      await enqueueOne(backend, { queue: 'a' }, { tenant: 'globex' });
      await enqueueOne(backend, { queue: 'b' }, { tenant: 'acme' });
      const onlyA = await backend.stats({ queue: 'a' });
      assert.deepEqual(
        onlyA.map((s) => s.name),
        ['a'],
      );
      assert.equal(byName(onlyA, 'a').counts.queued, 2);
      const acme = await backend.stats({ tenant: 'acme' });
      assert.equal(byName(acme, 'a').counts.queued, 1);
      assert.equal(byName(acme, 'b').counts.queued, 1);
      const globex = await backend.stats({ tenant: 'globex', queue: 'a' });
      assert.equal(byName(globex, 'a').counts.queued, 1);
    });
  });
}
