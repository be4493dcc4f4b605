import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type BackendFactory, backendTest, claim, claimOne, enqueue, enqueueOne, leaseOf, mustGet } from './harness.js';

const BOOM = { code: 'SLUICE_HANDLER_FAILED', message: 'provider said 503' };

/** Delayed jobs, retries with backoff, and final failure. */
export function delaysAndRetrySuite(factory: BackendFactory): void {
  describe('delays and retry', () => {
    const it = backendTest(factory);

    it('a delayed job waits, scheduled, until the clock reaches its runAt', async ({ backend, clock }) => {
      const start = clock.now();
      const job = await enqueueOne(backend, { delayMs: 5000 });
      assert.equal(job.status, 'scheduled');
      assert.equal(job.runAt, start + 5000);
      assert.equal(job.createdAt, start);
      assert.deepEqual(await claim(backend), []);
      clock.advance(4999);
      assert.deepEqual(await claim(backend), []);
      clock.advance(1);
      const claimed = await claimOne(backend);
      assert.equal(claimed.id, job.id);
      assert.equal(claimed.runAt, start + 5000);
    });

    it('a delayed job reads as queued once due, even before any claim', async ({ backend, clock }) => {
      const job = await enqueueOne(backend, { delayMs: 1000, queue: 'nobody-claims' });
      assert.equal((await mustGet(backend, job.id)).status, 'scheduled');
      assert.deepEqual(
        (await backend.list({ status: 'scheduled', limit: 10 })).jobs.map((j) => j.id),
        [job.id],
      );
      clock.advance(1000);
      assert.equal((await mustGet(backend, job.id)).status, 'queued');
      assert.deepEqual((await backend.list({ status: 'scheduled', limit: 10 })).jobs, []);
      assert.deepEqual(
        (await backend.list({ status: 'queued', limit: 10 })).jobs.map((j) => j.id),
        [job.id],
      );
    });

    it('an absolute runAt in the future is scheduled; one in the past is queued', async ({ backend, clock }) => {
      const now = clock.now();
      const [future, past] = await enqueue(backend, { runAt: now + 60_000 }, { runAt: now - 60_000 });
      assert.equal(future!.status, 'scheduled');
      assert.equal(future!.runAt, now + 60_000);
      assert.equal(past!.status, 'queued');
      assert.equal(past!.runAt, now - 60_000);
      assert.deepEqual(
        (await claim(backend)).map((j) => j.id),
        [past!.id],
      );
      clock.advance(60_000);
      assert.deepEqual(
        (await claim(backend)).map((j) => j.id),
        [future!.id],
      );
    });

    it('delayed jobs become due in a claim over several queues', async ({ backend, clock }) => {
      const [a, b] = await enqueue(backend, { queue: 'a', delayMs: 1000 }, { queue: 'b', delayMs: 2000 });
      const queues = ['a', 'b'];
      assert.deepEqual(await claim(backend, { queues }), []);
      clock.advance(1000);
      assert.deepEqual(
        (await claim(backend, { queues })).map((j) => j.id),
        [a!.id],
      );
      clock.advance(1000);
      assert.deepEqual(
        (await claim(backend, { queues, types: ['noop'] })).map((j) => j.id),
        [b!.id],
      );
    });

    it('a delayed high-priority job does not jump the line before it is due', async ({ backend, clock }) => {
      const [, waiting] = await enqueue(backend, { priority: 0 }, { priority: 100, delayMs: 1000 });
      const first = await claimOne(backend);
      assert.notEqual(first.id, waiting!.id);
      clock.advance(1000);
      assert.equal((await claimOne(backend)).id, waiting!.id);
    });

    it('a retry waits its delay as scheduled, keeps the error and counts attempts', async ({ backend, clock }) => {
      const job = await enqueueOne(backend, { maxAttempts: 3 });
      const first = await claimOne(backend);
      const outcomes = await backend.fail({ items: [{ ...leaseOf(first), outcome: 'retry', delayMs: 2000, error: BOOM }] });
      assert.deepEqual(outcomes, [{ id: job.id, result: 'ok' }]);
      const waiting = await mustGet(backend, job.id);
      assert.equal(waiting.status, 'scheduled');
      assert.equal(waiting.runAt, clock.now() + 2000);
      assert.deepEqual(waiting.error, BOOM);
      assert.equal(waiting.attempts, 1);
      assert.equal(waiting.finishedAt, undefined);
      assert.deepEqual(await backend.heartbeat({ leases: [leaseOf(first)], leaseMs: 1000 }), { lost: [job.id] });

      clock.advance(1999);
      assert.deepEqual(await claim(backend), []);
      clock.advance(1);
      const second = await claimOne(backend);
      assert.equal(second.id, job.id);
      assert.equal(second.attempts, 2);
      assert.deepEqual(second.error, BOOM, 'the last error stays visible during the next attempt');
    });

    it('a retry without delay is claimable at once', async ({ backend }) => {
      const job = await enqueueOne(backend);
      const first = await claimOne(backend);
      await backend.fail({ items: [{ ...leaseOf(first), outcome: 'retry', delayMs: 0, error: BOOM }] });
      const second = await claimOne(backend);
      assert.equal(second.id, job.id);
      assert.equal(second.attempts, 2);
    });

    it('outcome fail ends the job in failed with its error', async ({ backend, clock }) => {
      const job = await enqueueOne(backend);
      const claimed = await claimOne(backend);
      clock.advance(10);
      const error = { code: 'SLUICE_PERMANENT', message: 'bad input', permanent: true };
      assert.deepEqual(await backend.fail({ items: [{ ...leaseOf(claimed), outcome: 'fail', error }] }), [
        { id: job.id, result: 'ok' },
      ]);
      const dead = await mustGet(backend, job.id);
      assert.equal(dead.status, 'failed');
      assert.deepEqual(dead.error, error);
      assert.equal(dead.finishedAt, clock.now());
      assert.deepEqual(await claim(backend), []);
    });

    it('a batch fail mixes retries and final failures', async ({ backend }) => {
      await enqueue(backend, {}, {});
      const [a, b] = await claim(backend, { limit: 2 });
      assert.ok(a && b);
      const outcomes = await backend.fail({
        items: [
          { ...leaseOf(a), outcome: 'retry', delayMs: 100, error: BOOM },
          { ...leaseOf(b), outcome: 'fail', error: BOOM },
        ],
      });
      assert.deepEqual(outcomes, [
        { id: a.id, result: 'ok' },
        { id: b.id, result: 'ok' },
      ]);
      assert.equal((await mustGet(backend, a.id)).status, 'scheduled');
      assert.equal((await mustGet(backend, b.id)).status, 'failed');
    });
  });
}
