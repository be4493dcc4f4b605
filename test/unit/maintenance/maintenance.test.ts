import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, type TestContext, test } from 'node:test';
import type { PurgeParams, ReclaimResult } from '../../../src/core/backend.js';
import { MAINTENANCE_DEFAULTS, Maintenance } from '../../../src/maintenance/maintenance.js';
import { deferred, type Harness, makeHarness } from '../worker/harness.js';

/** Lets the promise continuations of a pass (and the timer it sets for the next) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Maintenance', () => {
  let h: Harness;
  // The duties' timers are unref'd so they never keep a process alive; the tests that wait on a
  // real timer wait on nothing else, so they hold the event loop open themselves.
  let keepAlive: NodeJS.Timeout;
  beforeEach(() => {
    h = makeHarness();
    keepAlive = setInterval(() => {}, 60_000);
  });
  afterEach(async () => {
    clearInterval(keepAlive);
    await h.cleanup();
  });

  /** Counts the passes of both duties; the timers are mocked so that time moves only by tick(). */
  function spy(t: TestContext) {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    return {
      reclaim: t.mock.method(h.backend, 'reclaimExpired'),
      purge: t.mock.method(h.backend, 'purgeFinished'),
    };
  }

  test('puts back a job whose lease expired and deletes finished jobs past retention', async () => {
    const [leased, finished] = await h.enqueue({}, {});
    await h.backend.claim({ queues: ['default'], limit: 1, leaseMs: 1_000, workerId: 'crashed' });
    await h.backend.cancel({ id: finished!.id });
    h.clock.advance(2_000);
    const reclaimed = deferred<ReclaimResult>();
    const purged = deferred<number>();
    const maintenance = new Maintenance(h.backend, {
      reaper: { intervalMs: 10, onReclaim: reclaimed.resolve },
      retention: { intervalMs: 10, finishedOlderThanMs: 1_000, onPurge: purged.resolve },
    }).start();
    try {
      assert.deepEqual(await reclaimed.promise, { requeued: 1, failed: 0 });
      assert.equal(await purged.promise, 1);
      assert.equal((await h.job(leased!.id)).status, 'queued');
      assert.equal(await h.backend.get({ id: finished!.id }), null);
    } finally {
      await maintenance.stop();
    }
  });

  test('runs both duties with the defaults when given no options', async (t) => {
    const { reclaim, purge } = spy(t);
    const maintenance = new Maintenance(h.backend).start();
    assert.equal(maintenance.running, true);
    t.mock.timers.tick(0);
    await settle();
    assert.equal(reclaim.mock.callCount(), 1);
    assert.deepEqual(reclaim.mock.calls[0]!.arguments, [{}]);
    assert.deepEqual(purge.mock.calls.map((c) => c.arguments[0]) as PurgeParams[], [
      {
        finishedOlderThanMs: MAINTENANCE_DEFAULTS.finishedOlderThanMs,
        failedOlderThanMs: MAINTENANCE_DEFAULTS.failedOlderThanMs,
        limit: undefined,
      },
    ]);
    t.mock.timers.tick(MAINTENANCE_DEFAULTS.reaperIntervalMs);
    await settle();
    assert.equal(reclaim.mock.callCount(), 2, 'the reaper runs again after its interval');
    assert.equal(purge.mock.callCount(), 1, 'the sweeper waits for its own, longer interval');
    await maintenance.stop();
  });

  test('passes the limits and ages it was given', async (t) => {
    const { reclaim, purge } = spy(t);
    const maintenance = new Maintenance(h.backend, {
      reaper: { intervalMs: 50, limit: 7 },
      retention: { intervalMs: 50, finishedOlderThanMs: 100, failedOlderThanMs: 200, limit: 9 },
    }).start();
    t.mock.timers.tick(0);
    await settle();
    assert.deepEqual(reclaim.mock.calls[0]!.arguments, [{ limit: 7 }]);
    assert.deepEqual(purge.mock.calls[0]!.arguments, [{ finishedOlderThanMs: 100, failedOlderThanMs: 200, limit: 9 }]);
    await maintenance.stop();
  });

  test('start() while running starts nothing more', async (t) => {
    const { reclaim, purge } = spy(t);
    const maintenance = new Maintenance(h.backend, { reaper: { intervalMs: 50 }, retention: { intervalMs: 50 } });
    maintenance.start();
    maintenance.start();
    t.mock.timers.tick(0);
    await settle();
    t.mock.timers.tick(50);
    await settle();
    assert.equal(reclaim.mock.callCount(), 2);
    assert.equal(purge.mock.callCount(), 2);
    await maintenance.stop();
  });

  test('stop() ends both duties; stop() again is a no-op; start() runs them again', async (t) => {
    const { reclaim, purge } = spy(t);
    const maintenance = new Maintenance(h.backend, { reaper: { intervalMs: 50 }, retention: { intervalMs: 50 } }).start();
    t.mock.timers.tick(0);
    await settle();
    await maintenance.stop();
    await maintenance.stop();
    assert.equal(maintenance.running, false);
    t.mock.timers.tick(1_000);
    await settle();
    assert.equal(reclaim.mock.callCount(), 1, 'no pass after stop');
    assert.equal(purge.mock.callCount(), 1, 'no pass after stop');

    maintenance.start();
    t.mock.timers.tick(0);
    await settle();
    assert.equal(reclaim.mock.callCount(), 2);
    assert.equal(purge.mock.callCount(), 2);
    await maintenance.stop();
  });

  test('stop() waits for a pass in progress', async (t) => {
    const gate = deferred();
    const entered = deferred();
    const reclaim = t.mock.method(h.backend, 'reclaimExpired', async () => {
      entered.resolve();
      await gate.promise;
      return { requeued: 0, failed: 0 };
    });
    const maintenance = new Maintenance(h.backend, { retention: false }).start();
    await entered.promise;
    let stopped = false;
    const stopping = maintenance.stop().then(() => {
      stopped = true;
    });
    await settle();
    assert.equal(stopped, false, 'the pass has not ended yet');
    gate.resolve();
    await stopping;
    assert.equal(reclaim.mock.callCount(), 1);
  });

  test('reaper: false runs only the sweeper, retention: false only the reaper', async (t) => {
    const { reclaim, purge } = spy(t);
    const sweeperOnly = new Maintenance(h.backend, { reaper: false }).start();
    t.mock.timers.tick(0);
    await settle();
    assert.equal(reclaim.mock.callCount(), 0);
    assert.equal(purge.mock.callCount(), 1);
    await sweeperOnly.stop();

    const reaperOnly = new Maintenance(h.backend, { retention: false }).start();
    t.mock.timers.tick(0);
    await settle();
    assert.equal(reclaim.mock.callCount(), 1);
    assert.equal(purge.mock.callCount(), 1);
    await reaperOnly.stop();
  });

  test('both disabled: nothing runs', async (t) => {
    const { reclaim, purge } = spy(t);
    const maintenance = new Maintenance(h.backend, { reaper: false, retention: false }).start();
    assert.equal(maintenance.running, false);
    t.mock.timers.tick(10_000);
    await settle();
    assert.equal(reclaim.mock.callCount() + purge.mock.callCount(), 0);
    await maintenance.stop();
  });

  test('a failed pass is reported and logged, and the duty keeps its schedule', async (t) => {
    const { reclaim } = spy(t);
    reclaim.mock.mockImplementationOnce(async () => {
      throw new Error('database is locked');
    });
    const errors: unknown[] = [];
    const warnings: string[] = [];
    const logger = { info: () => {}, error: () => {}, warn: (_: object, message?: string) => warnings.push(message ?? '') };
    const maintenance = new Maintenance(h.backend, {
      reaper: { intervalMs: 50, onError: (error) => errors.push(error) },
      retention: false,
      logger,
    }).start();
    t.mock.timers.tick(0);
    await settle();
    assert.equal(errors.length, 1);
    assert.deepEqual(warnings, ['lease reaper pass failed']);
    t.mock.timers.tick(50);
    await settle();
    assert.equal(reclaim.mock.callCount(), 2);
    await maintenance.stop();
  });
});
