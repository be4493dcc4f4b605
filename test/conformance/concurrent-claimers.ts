import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Backend } from '../../src/core/backend.js';
import type { ClaimedJob } from '../../src/core/job.js';
import { type BackendFactory, backendTest, claim, claimOne, enqueueOne, leaseOf, mustGet, newJob } from './harness.js';

/**
 * Claims in small batches, yielding between batches so handles interleave, until the handles
 * together have `shared.total` jobs or this one came up empty `patience` times in a row. An empty
 * claim alone does not prove the queue empty on a transport (the other handle's consumer may still
 * be receiving deliveries); the shared count ends both drains as soon as every job is out.
 */
async function drain(
  backend: Backend,
  workerId: string,
  batch: number,
  shared: { total: number; claimed: number },
  patience = 20,
): Promise<ClaimedJob[]> {
  const mine: ClaimedJob[] = [];
  let empty = 0;
  while (shared.claimed < shared.total && empty < patience) {
    const claimed = await claim(backend, { limit: batch, workerId });
    empty = claimed.length === 0 ? empty + 1 : 0;
    mine.push(...claimed);
    shared.claimed += claimed.length;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return mine;
}

/** Two handles on the same storage never lease the same job. */
export function concurrentClaimersSuite(factory: BackendFactory): void {
  describe('concurrent claimers', () => {
    const it = backendTest(factory);

    it('two handles racing in small batches get disjoint sets that cover every job', async ({ backend, openAnother }) => {
      const other = await openAnother();
      // Both are claiming before the jobs arrive, as running workers would be: a transport whose
      // handles start consuming at their first claim then has both consumers in place.
      assert.deepEqual(
        await Promise.all([claim(backend, { limit: 1, workerId: 'a' }), claim(other, { limit: 1, workerId: 'b' })]),
        [[], []],
      );
      const jobs = Array.from({ length: 200 }, (_, i) => newJob({ input: i, priority: i % 3 }));
      await backend.enqueue({ jobs });
      const shared = { total: jobs.length, claimed: 0 };
      const [a, b] = await Promise.all([drain(backend, 'a', 7, shared), drain(other, 'b', 5, shared)]);
      const idsA = a.map((j) => j.id);
      const idsB = b.map((j) => j.id);
      assert.ok(idsA.length > 0 && idsB.length > 0, `both handles should win some claims (a=${idsA.length}, b=${idsB.length})`);
      const all = new Set([...idsA, ...idsB]);
      assert.equal(all.size, idsA.length + idsB.length, 'no job was claimed twice');
      assert.equal(all.size, 200);
      assert.ok(a.every((j) => j.workerId === 'a' && j.attempts === 1));
      assert.ok(b.every((j) => j.workerId === 'b' && j.attempts === 1));
    });

    it("a second handle sees the first one's writes, and fencing holds across handles", async ({ backend, openAnother }) => {
      const other = await openAnother();
      const job = await enqueueOne(backend);
      const claimed = await claimOne(other);
      assert.equal(claimed.id, job.id);
      assert.equal((await mustGet(backend, job.id)).status, 'running');
      assert.deepEqual(await backend.complete({ items: [{ id: job.id, leaseToken: 'not-it', output: 1 }] }), [
        { id: job.id, result: 'lease_lost' },
      ]);
      assert.deepEqual(await backend.complete({ items: [{ ...leaseOf(claimed), output: 1 }] }), [{ id: job.id, result: 'ok' }]);
      assert.equal((await mustGet(other, job.id)).status, 'succeeded');
    });

    it('a job that arrives while one handle is full goes to another handle that claims', async ({ backend, openAnother }) => {
      // The full handle got every job it asked for and does not claim again (its worker is busy):
      // nothing it holds on to (a transport's delivery buffer) may keep the next job from others.
      const other = await openAnother();
      const first = await enqueueOne(backend);
      const running = await claimOne(backend, { workerId: 'full' });
      assert.equal(running.id, first.id);
      const next = await enqueueOne(backend);
      let taken: ClaimedJob[] = [];
      // A transport may need a moment to hand the delivery on; any other backend gives it at once.
      for (let i = 0; i < 100 && taken.length === 0; i++) taken = await claim(other, { limit: 1, workerId: 'idle' });
      assert.deepEqual(
        taken.map((j) => j.id),
        [next.id],
      );
      assert.deepEqual(await backend.heartbeat({ leases: [leaseOf(running)], leaseMs: 30_000 }), { lost: [] });
    });

    it('a pause set through one handle stops claims through another', async ({ backend, openAnother }) => {
      const other = await openAnother();
      await enqueueOne(backend);
      await backend.pauseQueue({ queue: 'default', paused: true });
      assert.deepEqual(await claim(other), []);
    });
  });
}
