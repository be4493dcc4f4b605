import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ErrorCodes } from '../../src/core/errors.js';
import {
  type BackendFactory,
  backendTest,
  claim,
  claimOne,
  enqueue,
  enqueueOne,
  leaseOf,
  mustGet,
  rejectsWithCode,
} from './harness.js';

/** Invariant 2 (every job ends) and 3 (a stale attempt cannot write). */
export function expiredLeaseRecoverySuite(factory: BackendFactory): void {
  describe('expired lease recovery', () => {
    const it = backendTest(factory);

    it('a live lease is not reclaimed', async ({ backend, clock }) => {
      await enqueueOne(backend);
      await claimOne(backend, { leaseMs: 1000 });
      clock.advance(999);
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 0, failed: 0 });
    });

    it('an expired lease puts the job back in the queue, and the attempt counts', async ({ backend, clock }) => {
      const job = await enqueueOne(backend, { maxAttempts: 3 });
      await claimOne(backend, { leaseMs: 1000 });
      clock.advance(1000);
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 1, failed: 0 });
      const back = await mustGet(backend, job.id);
      assert.equal(back.status, 'queued');
      assert.equal(back.attempts, 1);
      assert.equal(back.error?.code, ErrorCodes.leaseExpired);
      const second = await claimOne(backend);
      assert.equal(second.id, job.id);
      assert.equal(second.attempts, 2);
    });

    it('an expired lease on the last attempt fails the job (dead-letter)', async ({ backend, clock }) => {
      const job = await enqueueOne(backend, { maxAttempts: 2 });
      await claimOne(backend, { leaseMs: 1000 });
      clock.advance(1500);
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 1, failed: 0 });
      await claimOne(backend, { leaseMs: 1000 });
      clock.advance(1500);
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 0, failed: 1 });
      const dead = await mustGet(backend, job.id);
      assert.equal(dead.status, 'failed');
      assert.equal(dead.attempts, 2);
      assert.equal(dead.error?.code, ErrorCodes.leaseExpired);
      assert.equal(dead.finishedAt, clock.now());
      assert.deepEqual(await claim(backend), []);
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 0, failed: 0 });
    });

    it('a stale attempt cannot write after its job was reclaimed and claimed again', async ({ backend, clock }) => {
      const job = await enqueueOne(backend, { maxAttempts: 5 });
      const stale = await claimOne(backend, { leaseMs: 1000, workerId: 'stalled' });
      clock.advance(2000);
      await backend.reclaimExpired();
      const fresh = await claimOne(backend, { leaseMs: 1000, workerId: 'healthy' });
      assert.equal(fresh.id, job.id);
      assert.notEqual(fresh.leaseToken, stale.leaseToken);

      assert.deepEqual(await backend.complete({ items: [{ ...leaseOf(stale), output: 'stale' }] }), [
        { id: job.id, result: 'lease_lost' },
      ]);
      assert.deepEqual(
        await backend.fail({ items: [{ ...leaseOf(stale), outcome: 'fail', error: { code: 'E', message: 'e' } }] }),
        [{ id: job.id, result: 'lease_lost' }],
      );
      assert.deepEqual(await backend.release({ items: [leaseOf(stale)] }), [{ id: job.id, result: 'lease_lost' }]);
      assert.deepEqual(await backend.heartbeat({ leases: [leaseOf(stale)], leaseMs: 1000 }), { lost: [job.id] });
      await rejectsWithCode(backend.reportProgress({ ...leaseOf(stale), progress: 1 }), ErrorCodes.leaseLost);

      const during = await mustGet(backend, job.id);
      assert.equal(during.status, 'running', 'the new attempt is untouched');
      assert.equal(during.attempts, 2);
      assert.deepEqual(await backend.complete({ items: [{ ...leaseOf(fresh), output: 'fresh' }] }), [
        { id: job.id, result: 'ok' },
      ]);
      const done = await mustGet(backend, job.id);
      assert.equal(done.status, 'succeeded');
      assert.equal(done.output, 'fresh');
    });

    it('a stale attempt cannot write after reclaim even before anyone claims again', async ({ backend, clock }) => {
      const job = await enqueueOne(backend);
      const stale = await claimOne(backend, { leaseMs: 1000 });
      clock.advance(1000);
      await backend.reclaimExpired();
      assert.deepEqual(await backend.complete({ items: [{ ...leaseOf(stale), output: 'late' }] }), [
        { id: job.id, result: 'lease_lost' },
      ]);
      const waiting = await mustGet(backend, job.id);
      assert.equal(waiting.status, 'queued');
      assert.equal(waiting.output, undefined);
    });

    it('reclaimExpired honours its limit', async ({ backend, clock }) => {
      await enqueue(backend, {}, {}, {});
      await claim(backend, { leaseMs: 1000, limit: 3 });
      clock.advance(1000);
      assert.deepEqual(await backend.reclaimExpired({ limit: 2 }), { requeued: 2, failed: 0 });
      assert.deepEqual(await backend.reclaimExpired({ limit: 2 }), { requeued: 1, failed: 0 });
    });

    it('only expired leases are reclaimed when several are running', async ({ backend, clock }) => {
      await enqueue(backend, {}, {});
      const short = await claimOne(backend, { leaseMs: 1000 });
      const long = await claimOne(backend, { leaseMs: 60_000 });
      clock.advance(5000);
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 1, failed: 0 });
      assert.equal((await mustGet(backend, short.id)).status, 'queued');
      assert.equal((await mustGet(backend, long.id)).status, 'running');
    });
  });
}
