import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type BackendFactory, backendTest, claimOne, enqueueOne, leaseOf, newJob } from './harness.js';

/** Invariant 3: an idempotency key never creates a second job. */
export function idempotencySuite(factory: BackendFactory): void {
  describe('idempotency', () => {
    const it = backendTest(factory);

    it('a repeated key returns the first job with created false', async ({ backend }) => {
      const [first] = await backend.enqueue({ jobs: [newJob({ idempotencyKey: 'order-42', input: 1 })] });
      const [second] = await backend.enqueue({ jobs: [newJob({ idempotencyKey: 'order-42', input: 2 })] });
      assert.ok(first && second);
      assert.equal(first.created, true);
      assert.equal(second.created, false);
      assert.equal(second.job.id, first.job.id);
      assert.equal(second.job.input, 1, 'the first job wins');
      assert.equal(second.job.idempotencyKey, 'order-42');
      const { jobs } = await backend.list({ limit: 10 });
      assert.equal(jobs.length, 1);
    });

    it('a repeat inside one batch returns the first occurrence', async ({ backend }) => {
      const results = await backend.enqueue({
        jobs: [newJob({ idempotencyKey: 'k', input: 'a' }), newJob({ input: 'b' }), newJob({ idempotencyKey: 'k', input: 'c' })],
      });
      assert.deepEqual(
        results.map((r) => r.created),
        [true, true, false],
      );
      assert.equal(results[2]!.job.id, results[0]!.job.id);
      assert.equal(results[2]!.job.input, 'a');
      assert.equal((await backend.list({ limit: 10 })).jobs.length, 2);
    });

    it('keys are scoped per queue', async ({ backend }) => {
      const [a] = await backend.enqueue({ jobs: [newJob({ idempotencyKey: 'same', queue: 'a' })] });
      const [b] = await backend.enqueue({ jobs: [newJob({ idempotencyKey: 'same', queue: 'b' })] });
      assert.ok(a && b);
      assert.equal(b.created, true);
      assert.notEqual(a.job.id, b.job.id);
    });

    it("keys are scoped per tenant: another tenant never gets someone else's job", async ({ backend }) => {
      const [mine] = await backend.enqueue({ jobs: [newJob({ idempotencyKey: 'k' }, { tenant: 'acme' })] });
      const [theirs] = await backend.enqueue({ jobs: [newJob({ idempotencyKey: 'k' }, { tenant: 'globex' })] });
      const [repeat] = await backend.enqueue({ jobs: [newJob({ idempotencyKey: 'k' }, { tenant: 'acme' })] });
      assert.ok(mine && theirs && repeat);
      assert.equal(theirs.created, true);
      assert.notEqual(theirs.job.id, mine.job.id);
      assert.equal(theirs.job.tenant, 'globex');
      assert.equal(repeat.created, false);
      assert.equal(repeat.job.id, mine.job.id);
    });

    it('inside one batch too, the same key of two tenants makes two jobs (group commit mixes callers)', async ({ backend }) => {
      const results = await backend.enqueue({
        jobs: [
          newJob({ idempotencyKey: 'k', input: 'acme-1' }, { tenant: 'acme' }),
          newJob({ idempotencyKey: 'k', input: 'globex' }, { tenant: 'globex' }),
          newJob({ idempotencyKey: 'k', input: 'acme-2' }, { tenant: 'acme' }),
          newJob({ idempotencyKey: 'k', input: 'none' }),
        ],
      });
      assert.deepEqual(
        results.map((r) => r.created),
        [true, true, false, true],
      );
      assert.equal(results[2]!.job.id, results[0]!.job.id);
      assert.equal(results[1]!.job.tenant, 'globex');
      assert.equal(results[1]!.job.input, 'globex');
      assert.equal(results[3]!.job.tenant, undefined);
      assert.equal(new Set(results.map((r) => r.job.id)).size, 3);
    });

    it('a key still matches after the job has finished', async ({ backend }) => {
      const job = await enqueueOne(backend, { idempotencyKey: 'once' });
      const claimed = await claimOne(backend);
      await backend.complete({ items: [{ ...leaseOf(claimed), output: 'done' }] });
      const [repeat] = await backend.enqueue({ jobs: [newJob({ idempotencyKey: 'once' })] });
      assert.ok(repeat);
      assert.equal(repeat.created, false);
      assert.equal(repeat.job.id, job.id);
      assert.equal(repeat.job.status, 'succeeded');
      assert.equal(repeat.job.output, 'done');
    });

    it('jobs without a key are never deduplicated', async ({ backend }) => {
      const results = await backend.enqueue({ jobs: [newJob({ input: 1 }), newJob({ input: 1 })] });
      assert.deepEqual(
        results.map((r) => r.created),
        [true, true],
      );
      assert.notEqual(results[0]!.job.id, results[1]!.job.id);
    });
  });
}
