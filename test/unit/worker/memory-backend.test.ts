import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { ClaimParams } from '../../../src/core/backend.js';
import { ErrorCodes } from '../../../src/core/errors.js';
import { toNewJob } from '../../../src/core/new-job.js';
import { type Harness, makeHarness } from './harness.js';

/** The worker's fake backend must behave like the real ones; the conformance suite will prove it
 * fully. These cases pin the behaviour the worker tests lean on. */
describe('MemoryBackend', () => {
  let h: Harness;
  const claimParams = (limit: number): ClaimParams => ({ queues: ['default'], limit, leaseMs: 1_000, workerId: 'w' });
  beforeEach(() => {
    h = makeHarness();
  });

  test('claims by priority DESC, then runAt ASC, then id; skips future and paused work', async () => {
    const [low, high, older, future] = await h.enqueue(
      { input: 'low' },
      { input: 'high', priority: 5 },
      { input: 'older' },
      {
        input: 'future',
        delayMs: 1_000,
      },
    );
    await h.enqueue({ input: 'other', queue: 'other' });
    await h.backend.pauseQueue({ queue: 'other', paused: true });
    const claimed = await h.backend.claim({ ...claimParams(10), queues: ['default', 'other'] });
    assert.deepEqual(
      claimed.map((job) => job.id),
      [high!.id, low!.id, older!.id],
    );
    assert.ok(
      claimed.every((job) => job.status === 'running' && job.attempts === 1 && job.leaseExpiresAt === h.clock.now() + 1_000),
    );
    assert.equal((await h.job(future!.id)).status, 'scheduled');
    h.clock.advance(1_000);
    assert.equal((await h.job(future!.id)).status, 'queued');
  });

  test('fences every attempt-scoped write by the lease token', async () => {
    const [job] = await h.enqueue({});
    const [claimed] = await h.backend.claim(claimParams(1));
    const stale = { id: job!.id, leaseToken: 'not-the-token' };
    assert.deepEqual(await h.backend.complete({ items: [{ ...stale, output: 1 }] }), [{ id: job!.id, result: 'lease_lost' }]);
    assert.deepEqual(await h.backend.heartbeat({ leases: [stale], leaseMs: 1_000 }), { lost: [job!.id] });
    await assert.rejects(h.backend.reportProgress({ ...stale, progress: 1 }), { code: ErrorCodes.leaseLost });
    const lease = { id: job!.id, leaseToken: claimed!.leaseToken };
    assert.deepEqual(await h.backend.heartbeat({ leases: [lease], leaseMs: 1_000 }), { lost: [] });
    assert.deepEqual(await h.backend.complete({ items: [{ ...lease, output: 2 }] }), [{ id: job!.id, result: 'ok' }]);
    assert.deepEqual(await h.backend.complete({ items: [{ ...lease, output: 3 }] }), [{ id: job!.id, result: 'lease_lost' }]);
    assert.equal((await h.job(job!.id)).output, 2);
  });

  test('an idempotency key returns the first job in the same queue only', async () => {
    const [first] = await h.enqueue({ idempotencyKey: 'k', input: 1 });
    const again = await h.backend.enqueue({ jobs: [toNewJob({ type: 'echo', idempotencyKey: 'k', input: 2 })] });
    assert.equal(again[0]?.created, false);
    assert.equal(again[0]?.job.id, first!.id);
    const [elsewhere] = await h.enqueue({ idempotencyKey: 'k', queue: 'other' });
    assert.notEqual(elsewhere!.id, first!.id);
    assert.equal((await h.job(first!.id)).input, 1);
  });

  test('cancel: waiting at once, running with the lease revoked and job:cancelled, ended is a conflict', async () => {
    const [waiting, running] = await h.enqueue({ priority: -1 }, { priority: 1 });
    const [claimed] = await h.backend.claim(claimParams(1));
    assert.equal(claimed!.id, running!.id);
    const cancelledEvents: string[] = [];
    h.backend.events.on('job:cancelled', ({ id }) => cancelledEvents.push(id));

    assert.equal((await h.backend.cancel({ id: waiting!.id })).status, 'cancelled');
    assert.equal((await h.backend.cancel({ id: running!.id })).status, 'cancelled');
    assert.deepEqual(cancelledEvents, [running!.id]);
    const lease = { id: running!.id, leaseToken: claimed!.leaseToken };
    assert.deepEqual(await h.backend.heartbeat({ leases: [lease], leaseMs: 1_000 }), { lost: [running!.id] });
    await assert.rejects(h.backend.cancel({ id: running!.id }), { code: ErrorCodes.conflict });
    await assert.rejects(h.backend.cancel({ id: 'nope' }), { code: ErrorCodes.notFound });
  });

  test('reclaimExpired requeues (attempt counted) or fails when attempts ran out; release does not count', async () => {
    const [retryable, lastChance, released] = await h.enqueue({ maxAttempts: 2 }, { maxAttempts: 1 }, {});
    const claimed = await h.backend.claim(claimParams(3));
    const token = (id: string) => claimed.find((job) => job.id === id)!.leaseToken;
    assert.deepEqual(await h.backend.release({ items: [{ id: released!.id, leaseToken: token(released!.id) }] }), [
      { id: released!.id, result: 'ok' },
    ]);
    assert.deepEqual(await h.backend.reclaimExpired(), { requeued: 0, failed: 0 });
    h.clock.advance(1_000);
    assert.deepEqual(await h.backend.reclaimExpired(), { requeued: 1, failed: 1 });
    const requeued = await h.job(retryable!.id);
    assert.equal(requeued.status, 'queued');
    assert.equal(requeued.attempts, 1);
    const failed = await h.job(lastChance!.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, ErrorCodes.leaseExpired);
    assert.equal((await h.job(released!.id)).attempts, 0);
  });

  test('redrive puts failed jobs back with fresh attempts; stats count by queue', async () => {
    const [job] = await h.enqueue({ maxAttempts: 1 });
    const [claimed] = await h.backend.claim(claimParams(1));
    await h.backend.fail({
      items: [{ id: job!.id, leaseToken: claimed!.leaseToken, outcome: 'fail', error: { code: 'E', message: 'boom' } }],
    });
    const [stats] = await h.backend.stats();
    assert.equal(stats?.counts.failed, 1);
    assert.equal(await h.backend.redrive({ queue: 'default' }), 1);
    const redriven = await h.job(job!.id);
    assert.equal(redriven.status, 'queued');
    assert.equal(redriven.attempts, 0);
    h.clock.advance(500);
    const [after] = await h.backend.stats({ queue: 'default' });
    assert.deepEqual(after?.counts, { scheduled: 0, queued: 1, running: 0, succeeded: 0, failed: 0, cancelled: 0 });
    assert.equal(after?.oldestQueuedAgeMs, 500);
  });

  test('list is newest first and pages with a cursor', async () => {
    const jobs = await h.enqueue({ input: 1 }, { input: 2 }, { input: 3 });
    const page1 = await h.backend.list({ limit: 2 });
    assert.deepEqual(
      page1.jobs.map((job) => job.id),
      [jobs[2]!.id, jobs[1]!.id],
    );
    const page2 = await h.backend.list({ limit: 2, cursor: page1.nextCursor });
    assert.deepEqual(
      page2.jobs.map((job) => job.id),
      [jobs[0]!.id],
    );
    assert.equal(page2.nextCursor, undefined);
  });
});
