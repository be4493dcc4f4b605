import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Backend } from '../../src/core/backend.js';
import type { ClaimedJob } from '../../src/core/job.js';
import { type BackendFactory, backendTest, claim, claimOne, enqueueOne, leaseOf, mustGet, newJob } from './harness.js';

/** Claims until the queue is empty, in small batches, yielding between batches so handles interleave. */
async function drain(backend: Backend, workerId: string, batch: number): Promise<ClaimedJob[]> {
  const mine: ClaimedJob[] = [];
  for (;;) {
    const claimed = await claim(backend, { limit: batch, workerId });
    if (claimed.length === 0) return mine;
    mine.push(...claimed);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
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
      const [a, b] = await Promise.all([drain(backend, 'a', 7), drain(other, 'b', 5)]);
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

    it('a pause set through one handle stops claims through another', async ({ backend, openAnother }) => {
      const other = await openAnother();
      await enqueueOne(backend);
      await backend.pauseQueue({ queue: 'default', paused: true });
      assert.deepEqual(await claim(other), []);
    });
  });
}
