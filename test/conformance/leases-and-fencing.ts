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

/** Heartbeats, settlements and the lease token that fences every attempt-scoped write. */
export function leasesAndFencingSuite(factory: BackendFactory): void {
  describe('leases and fencing', () => {
    const it = backendTest(factory);

    it('complete ends the attempt: succeeded, output stored, lease cleared', async ({ backend, clock }) => {
      const job = await enqueueOne(backend);
      const claimed = await claimOne(backend);
      clock.advance(250);
      const outcomes = await backend.complete({ items: [{ ...leaseOf(claimed), output: { text: '2', value: 2 } }] });
      assert.deepEqual(outcomes, [{ id: job.id, result: 'ok' }]);
      const done = await mustGet(backend, job.id);
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(done.output, { text: '2', value: 2 });
      assert.equal(done.finishedAt, clock.now());
      assert.equal(done.attempts, 1);
      const again = await backend.complete({ items: [{ ...leaseOf(claimed), output: 'twice' }] });
      assert.deepEqual(again, [{ id: job.id, result: 'lease_lost' }]);
      assert.deepEqual((await mustGet(backend, job.id)).output, { text: '2', value: 2 });
      assert.deepEqual(await claim(backend), [], 'a completed job is never handed out again');
    });

    it('a wrong token changes nothing and reports lease_lost', async ({ backend }) => {
      const job = await enqueueOne(backend);
      const claimed = await claimOne(backend);
      const forged = { id: job.id, leaseToken: '00000000-0000-4000-8000-000000000000' };
      assert.deepEqual(await backend.complete({ items: [{ ...forged, output: 1 }] }), [{ id: job.id, result: 'lease_lost' }]);
      assert.deepEqual(await backend.fail({ items: [{ ...forged, outcome: 'fail', error: { code: 'X', message: 'x' } }] }), [
        { id: job.id, result: 'lease_lost' },
      ]);
      assert.deepEqual(await backend.release({ items: [forged] }), [{ id: job.id, result: 'lease_lost' }]);
      assert.deepEqual(await backend.heartbeat({ leases: [forged], leaseMs: 1000 }), { lost: [job.id] });
      await rejectsWithCode(backend.reportProgress({ ...forged, progress: 50 }), ErrorCodes.leaseLost);
      const stored = await mustGet(backend, job.id);
      assert.equal(stored.status, 'running');
      assert.equal(stored.progress, undefined);
      assert.deepEqual(await backend.complete({ items: [{ ...leaseOf(claimed), output: 1 }] }), [{ id: job.id, result: 'ok' }]);
    });

    it('an unknown job id is lease_lost, not an error', async ({ backend }) => {
      const ghost = { id: '01890000-0000-7000-8000-000000000000', leaseToken: 'nope' };
      assert.deepEqual(await backend.complete({ items: [{ ...ghost, output: null }] }), [{ id: ghost.id, result: 'lease_lost' }]);
      assert.deepEqual(await backend.heartbeat({ leases: [ghost], leaseMs: 1000 }), { lost: [ghost.id] });
    });

    it('batch settlements report per item, in input order', async ({ backend }) => {
      await enqueue(backend, {}, {}, {});
      const [a, b, c] = await claim(backend, { limit: 3 });
      assert.ok(a && b && c);
      const outcomes = await backend.complete({
        items: [
          { ...leaseOf(a), output: 'a' },
          { id: b.id, leaseToken: 'stale', output: 'b' },
          { ...leaseOf(c), output: 'c' },
        ],
      });
      assert.deepEqual(outcomes, [
        { id: a.id, result: 'ok' },
        { id: b.id, result: 'lease_lost' },
        { id: c.id, result: 'ok' },
      ]);
      assert.equal((await mustGet(backend, b.id)).status, 'running');
      assert.equal((await mustGet(backend, c.id)).output, 'c');
    });

    it('heartbeat extends the lease so the reaper leaves the job alone', async ({ backend, clock }) => {
      await enqueueOne(backend);
      const claimed = await claimOne(backend, { leaseMs: 1000 });
      clock.advance(800);
      assert.deepEqual(await backend.heartbeat({ leases: [leaseOf(claimed)], leaseMs: 1000 }), { lost: [] });
      clock.advance(800); // past the first expiry, inside the extended one
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 0, failed: 0 });
      assert.equal((await mustGet(backend, claimed.id)).status, 'running');
      clock.advance(201);
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 1, failed: 0 });
    });

    it('heartbeat reports exactly the leases that are gone', async ({ backend }) => {
      await enqueue(backend, {}, {});
      const [live, done] = await claim(backend, { limit: 2 });
      assert.ok(live && done);
      await backend.complete({ items: [{ ...leaseOf(done), output: null }] });
      const result = await backend.heartbeat({ leases: [leaseOf(live), leaseOf(done)], leaseMs: 1000 });
      assert.deepEqual(result, { lost: [done.id] });
      assert.deepEqual(await backend.heartbeat({ leases: [], leaseMs: 1000 }), { lost: [] });
    });

    it('reportProgress stores progress of the current attempt and nothing after it ends', async ({ backend }) => {
      const events: unknown[] = [];
      backend.events.on('job:progress', (p) => events.push(p));
      await enqueueOne(backend);
      const claimed = await claimOne(backend);
      await backend.reportProgress({ ...leaseOf(claimed), progress: { percent: 40, partial: 'Hel' } });
      assert.deepEqual((await mustGet(backend, claimed.id)).progress, { percent: 40, partial: 'Hel' });
      await backend.reportProgress({ ...leaseOf(claimed), progress: 90 });
      assert.equal((await mustGet(backend, claimed.id)).progress, 90);
      await backend.complete({ items: [{ ...leaseOf(claimed), output: 'Hello' }] });
      const error = await rejectsWithCode(backend.reportProgress({ ...leaseOf(claimed), progress: 100 }), ErrorCodes.leaseLost);
      assert.match(error.message, new RegExp(claimed.id));
      assert.equal((await mustGet(backend, claimed.id)).progress, 90);
      assert.deepEqual(events, [
        { id: claimed.id, progress: { percent: 40, partial: 'Hel' } },
        { id: claimed.id, progress: 90 },
      ]);
    });

    it('release gives the job back without counting the attempt', async ({ backend, clock }) => {
      const job = await enqueueOne(backend);
      const claimed = await claimOne(backend);
      clock.advance(500);
      assert.deepEqual(await backend.release({ items: [leaseOf(claimed)] }), [{ id: job.id, result: 'ok' }]);
      const released = await mustGet(backend, job.id);
      assert.equal(released.status, 'queued');
      assert.equal(released.attempts, 0);
      assert.equal(released.runAt, job.runAt, 'runAt unchanged: it keeps its place in line');
      assert.deepEqual(await backend.complete({ items: [{ ...leaseOf(claimed), output: 1 }] }), [
        { id: job.id, result: 'lease_lost' },
      ]);
      const again = await claimOne(backend);
      assert.equal(again.id, job.id);
      assert.equal(again.attempts, 1);
      assert.notEqual(again.leaseToken, claimed.leaseToken);
    });

    it('empty batches are no-ops', async ({ backend }) => {
      assert.deepEqual(await backend.complete({ items: [] }), []);
      assert.deepEqual(await backend.fail({ items: [] }), []);
      assert.deepEqual(await backend.release({ items: [] }), []);
    });
  });
}
