import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ReclaimResult } from '../../../src/core/backend.js';
import { startLeaseReaper } from '../../../src/maintenance/lease-reaper.js';
import { startRetentionSweeper } from '../../../src/maintenance/retention-sweeper.js';
import { deferred, type Harness, makeHarness } from '../worker/harness.js';

/** Lets the promise continuations of a pass (and the timer it sets for the next) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

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

  test('the lease reaper keeps going after a failed pass, and a stopped one never runs again', async (t) => {
    // Mocked timers: time moves only by tick(), so "not again" is checked past several intervals.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const reclaim = t.mock.method(h.backend, 'reclaimExpired');
    reclaim.mock.mockImplementationOnce(async () => {
      throw new Error('database is locked');
    });
    const errors: unknown[] = [];
    const stop = startLeaseReaper(h.backend, { intervalMs: 5, onError: (error) => errors.push(error) });
    try {
      t.mock.timers.tick(0);
      await settle();
      assert.equal(reclaim.mock.callCount(), 1);
      assert.equal(errors.length, 1, 'the failed pass is reported');
      for (const pass of [2, 3]) {
        t.mock.timers.tick(5);
        await settle();
        assert.equal(reclaim.mock.callCount(), pass, 'the reaper keeps its schedule after a failed pass');
      }
    } finally {
      await stop();
    }
    t.mock.timers.tick(50);
    await settle();
    assert.equal(reclaim.mock.callCount(), 3, 'stopped reaper ran again');
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
