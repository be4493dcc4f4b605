import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type BackendFactory, backendTest, claim, claimOne, enqueue, enqueueOne, leaseOf, mustGet } from './harness.js';

/** A paused queue is not claimed from; running work is unaffected. */
export function pauseSuite(factory: BackendFactory): void {
  describe('pause', () => {
    const it = backendTest(factory);

    it('a paused queue is not claimed from until it is resumed', async ({ backend }) => {
      const job = await enqueueOne(backend);
      await backend.pauseQueue({ queue: 'default', paused: true });
      assert.deepEqual(await claim(backend), []);
      await backend.pauseQueue({ queue: 'default', paused: false });
      assert.equal((await claimOne(backend)).id, job.id);
    });

    it('pausing one queue leaves the others claimable', async ({ backend }) => {
      const [, b] = await enqueue(backend, { queue: 'a', priority: 100 }, { queue: 'b' });
      await backend.pauseQueue({ queue: 'a', paused: true });
      const claimed = await claim(backend, { queues: ['a', 'b'] });
      assert.deepEqual(
        claimed.map((j) => j.id),
        [b!.id],
      );
    });

    it('delayed jobs of a paused queue wait too', async ({ backend, clock }) => {
      await enqueueOne(backend, { delayMs: 1000 });
      await backend.pauseQueue({ queue: 'default', paused: true });
      clock.advance(2000);
      assert.deepEqual(await claim(backend), []);
      await backend.pauseQueue({ queue: 'default', paused: false });
      assert.equal((await claim(backend)).length, 1);
    });

    it('running jobs of a paused queue still settle', async ({ backend }) => {
      const job = await enqueueOne(backend);
      const claimed = await claimOne(backend);
      await backend.pauseQueue({ queue: 'default', paused: true });
      assert.deepEqual(await backend.heartbeat({ leases: [leaseOf(claimed)], leaseMs: 1000 }), { lost: [] });
      assert.deepEqual(await backend.complete({ items: [{ ...leaseOf(claimed), output: 1 }] }), [{ id: job.id, result: 'ok' }]);
      assert.equal((await mustGet(backend, job.id)).status, 'succeeded');
    });

    it('pausing is idempotent and shows in stats, even for a queue without jobs', async ({ backend }) => {
      await backend.pauseQueue({ queue: 'later', paused: true });
      await backend.pauseQueue({ queue: 'later', paused: true });
      let stats = await backend.stats();
      const later = stats.find((s) => s.name === 'later');
      assert.ok(later, 'a queue known only by its pause flag is listed');
      assert.equal(later.paused, true);
      await backend.pauseQueue({ queue: 'later', paused: false });
      stats = await backend.stats({ queue: 'later' });
      assert.equal(stats.find((s) => s.name === 'later')?.paused ?? false, false);
    });

    it('jobs enqueued into a paused queue wait for the resume', async ({ backend }) => {
      await backend.pauseQueue({ queue: 'default', paused: true });
      const job = await enqueueOne(backend);
      assert.equal(job.status, 'queued');
      assert.deepEqual(await claim(backend), []);
      await backend.pauseQueue({ queue: 'default', paused: false });
      assert.equal((await claimOne(backend)).id, job.id);
    });
  });
}
