import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ErrorCodes } from '../../src/core/errors.js';
import {
  type BackendFactory,
  backendTest,
  claim,
  claimOne,
  enqueueOne,
  leaseOf,
  mustGet,
  recordEvents,
  rejectsWithCode,
} from './harness.js';

/** Cancelling waiting and running jobs; errors for finished and unknown ones. */
export function cancelSuite(factory: BackendFactory): void {
  describe('cancel', () => {
    const it = backendTest(factory);

    it('a queued job is cancelled at once and never claimed', async ({ backend, clock }) => {
      const job = await enqueueOne(backend);
      clock.advance(100);
      const cancelled = await backend.cancel({ id: job.id });
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(cancelled.finishedAt, clock.now());
      assert.deepEqual(await mustGet(backend, job.id), cancelled);
      assert.deepEqual(await claim(backend), []);
    });

    it('a scheduled job is cancelled and stays so when its time comes', async ({ backend, clock }) => {
      const job = await enqueueOne(backend, { delayMs: 1000 });
      assert.equal((await backend.cancel({ id: job.id })).status, 'cancelled');
      clock.advance(5000);
      assert.deepEqual(await claim(backend), []);
      assert.equal((await mustGet(backend, job.id)).status, 'cancelled');
    });

    it('a running job is cancelled at once and its lease is revoked', async ({ backend }) => {
      const job = await enqueueOne(backend);
      const claimed = await claimOne(backend);
      const cancelled = await backend.cancel({ id: job.id });
      assert.equal(cancelled.status, 'cancelled');
      assert.deepEqual(await backend.heartbeat({ leases: [leaseOf(claimed)], leaseMs: 1000 }), { lost: [job.id] });
      assert.deepEqual(await backend.complete({ items: [{ ...leaseOf(claimed), output: 'too late' }] }), [
        { id: job.id, result: 'lease_lost' },
      ]);
      assert.deepEqual(
        await backend.fail({
          items: [{ ...leaseOf(claimed), outcome: 'retry', delayMs: 0, error: { code: 'E', message: 'e' } }],
        }),
        [{ id: job.id, result: 'lease_lost' }],
      );
      await rejectsWithCode(backend.reportProgress({ ...leaseOf(claimed), progress: 1 }), ErrorCodes.leaseLost);
      const stored = await mustGet(backend, job.id);
      assert.equal(stored.status, 'cancelled');
      assert.equal(stored.output, undefined);
    });

    it('a cancelled running job is not resurrected by the lease reaper', async ({ backend, clock }) => {
      const job = await enqueueOne(backend);
      await claimOne(backend, { leaseMs: 1000 });
      await backend.cancel({ id: job.id });
      clock.advance(10_000);
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 0, failed: 0 });
      assert.equal((await mustGet(backend, job.id)).status, 'cancelled');
    });

    it('cancelling a running job tells its worker (job:cancelled) and announces the end', async ({ backend }) => {
      const job = await enqueueOne(backend);
      await claimOne(backend);
      const rec = recordEvents(backend, 'job:cancelled', 'job:finished');
      await backend.cancel({ id: job.id });
      rec.stop();
      assert.deepEqual(
        rec.events.map((e) => e.name),
        ['job:cancelled', 'job:finished'],
      );
      assert.deepEqual(rec.events[0]!.payload, { id: job.id });
    });

    it('a finished job cannot be cancelled (ConflictError naming the status)', async ({ backend }) => {
      const job = await enqueueOne(backend);
      const claimed = await claimOne(backend);
      await backend.complete({ items: [{ ...leaseOf(claimed), output: 1 }] });
      const error = await rejectsWithCode(backend.cancel({ id: job.id }), ErrorCodes.conflict);
      assert.match(error.message, /succeeded/);
      assert.equal(error.field, undefined);
      assert.equal((await mustGet(backend, job.id)).status, 'succeeded');

      const other = await enqueueOne(backend);
      await backend.cancel({ id: other.id });
      assert.match((await rejectsWithCode(backend.cancel({ id: other.id }), ErrorCodes.conflict)).message, /cancelled/);

      const doomed = await enqueueOne(backend);
      const c = await claimOne(backend);
      await backend.fail({ items: [{ ...leaseOf(c), outcome: 'fail', error: { code: 'E', message: 'e' } }] });
      assert.match((await rejectsWithCode(backend.cancel({ id: doomed.id }), ErrorCodes.conflict)).message, /failed/);
    });

    it("an unknown job, or another tenant's, is not found", async ({ backend }) => {
      await rejectsWithCode(backend.cancel({ id: '01890000-0000-7000-8000-000000000000' }), ErrorCodes.notFound);
      const job = await enqueueOne(backend, {}, { tenant: 'acme' });
      await rejectsWithCode(backend.cancel({ id: job.id, tenant: 'globex' }), ErrorCodes.notFound);
      assert.equal((await mustGet(backend, job.id)).status, 'queued');
      assert.equal((await backend.cancel({ id: job.id, tenant: 'acme' })).status, 'cancelled');
    });
  });
}
