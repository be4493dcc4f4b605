import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ReclaimResult } from '../../../src/core/backend.js';
import { startLeaseReaper } from '../../../src/maintenance/lease-reaper.js';
import { startRetentionSweeper } from '../../../src/maintenance/retention-sweeper.js';
import { deferred, type Harness, makeHarness } from '../worker/harness.js';

describe('background duties', () => {
  let h: Harness;
  // The duties' timers are unref'd so they never keep a process alive; these tests wait on nothing
  // else, so they hold the event loop open themselves while a duty runs.
  let keepAlive: NodeJS.Timeout;
  beforeEach(() => {
    h = makeHarness();
    keepAlive = setInterval(() => {}, 60_000);
  });
  afterEach(async () => {
    clearInterval(keepAlive);
    await h.cleanup();
  });

  test('the lease reaper puts back jobs whose lease expired', async () => {
    const [job] = await h.enqueue({});
    await h.backend.claim({ queues: ['default'], limit: 1, leaseMs: 1_000, workerId: 'crashed' });
    h.clock.advance(1_000);
    const reclaimed = deferred<ReclaimResult>();
    const stop = startLeaseReaper(h.backend, { intervalMs: 10, onReclaim: reclaimed.resolve });
    try {
      assert.deepEqual(await reclaimed.promise, { requeued: 1, failed: 0 });
      const stored = await h.job(job!.id);
      assert.equal(stored.status, 'queued');
      assert.equal(stored.attempts, 1);
    } finally {
      await stop();
    }
  });

  test('the lease reaper keeps going after a failed pass', async (t) => {
    const reclaim = t.mock.method(h.backend, 'reclaimExpired');
    reclaim.mock.mockImplementationOnce(async () => {
      throw new Error('database is locked');
    });
    const failedOnce = deferred<unknown>();
    const stop = startLeaseReaper(h.backend, { intervalMs: 5, onError: failedOnce.resolve });
    try {
      await failedOnce.promise;
      while (reclaim.mock.callCount() < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      await stop();
    }
    const calls = reclaim.mock.callCount();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(reclaim.mock.callCount(), calls, 'stopped reaper ran again');
  });

  test('the retention sweeper deletes finished jobs past their retention', async () => {
    const [done, dead, recent] = await h.enqueue({ input: 1 }, { input: 2, maxAttempts: 1 }, { input: 3 });
    const claimed = await h.backend.claim({ queues: ['default'], limit: 2, leaseMs: 1_000, workerId: 'w' });
    const byId = new Map(claimed.map((job) => [job.id, job]));
    await h.backend.complete({ items: [{ id: done!.id, leaseToken: byId.get(done!.id)!.leaseToken, output: 1 }] });
    await h.backend.fail({
      items: [{ id: dead!.id, leaseToken: byId.get(dead!.id)!.leaseToken, outcome: 'fail', error: { code: 'X', message: 'x' } }],
    });
    h.clock.advance(61_000);

    const purged = deferred<number>();
    const stop = startRetentionSweeper(h.backend, {
      intervalMs: 10,
      finishedOlderThanMs: 60_000,
      failedOlderThanMs: 120_000,
      onPurge: purged.resolve,
    });
    try {
      assert.equal(await purged.promise, 1);
      assert.equal(await h.backend.get({ id: done!.id }), null);
      assert.equal((await h.job(dead!.id)).status, 'failed'); // dead letters are kept longer
      assert.equal((await h.job(recent!.id)).status, 'queued'); // never finished: never purged
    } finally {
      await stop();
    }
  });
});
