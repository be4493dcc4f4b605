import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ErrorCodes } from '../../src/core/errors.js';
import type { NewJob } from '../../src/core/new-job.js';
import { Sluice } from '../../src/sluice.js';
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

    it('a repeat reports the request hash stored with the first job', async ({ backend }) => {
      const first = newJob({ idempotencyKey: 'fp', input: { a: 1, b: 2 } });
      await backend.enqueue({ jobs: [first] });
      const same = newJob({ idempotencyKey: 'fp', input: { b: 2, a: 1 } });
      const other = newJob({ idempotencyKey: 'fp', input: { a: 1, b: 3 } });
      assert.equal(same.requestHash, first.requestHash, 'key order does not change the request');
      assert.notEqual(other.requestHash, first.requestHash);
      const [again, changed] = await backend.enqueue({ jobs: [same, other] });
      assert.equal(again?.requestHash, first.requestHash);
      assert.equal(changed?.requestHash, first.requestHash);
      // A repeat of a key first seen in the same batch reports that occurrence's hash.
      const [made, repeat] = await backend.enqueue({
        jobs: [newJob({ idempotencyKey: 'fresh', input: 1 }), newJob({ idempotencyKey: 'fresh', input: 2 })],
      });
      assert.equal(made?.created, true);
      assert.equal(repeat?.created, false);
      assert.equal(repeat?.requestHash, newJob({ idempotencyKey: 'fresh', input: 1 }).requestHash);
    });

    it('the facade answers a reused key with a different request with SLUICE_IDEMPOTENCY_MISMATCH', async ({ backend }) => {
      const sluice = Sluice.fromBackend(backend);
      const first = await sluice.enqueue({ type: 'noop', idempotencyKey: 'order-7', input: { amount: 10 } });
      assert.equal((await sluice.enqueue({ type: 'noop', idempotencyKey: 'order-7', input: { amount: 10 } })).id, first.id);
      for (const spec of [
        { type: 'noop', idempotencyKey: 'order-7', input: { amount: 11 } },
        { type: 'noop', idempotencyKey: 'order-7', input: { amount: 10 }, priority: 5 },
        { type: 'math', idempotencyKey: 'order-7', input: { amount: 10 } },
      ]) {
        await assert.rejects(sluice.enqueue(spec), { code: ErrorCodes.idempotencyMismatch, field: 'idempotencyKey' });
      }
      // Concurrent submissions sharing one write: one makes the job, the other is refused.
      const outcomes = await Promise.allSettled([
        sluice.enqueue({ type: 'noop', idempotencyKey: 'race', input: 'a' }),
        sluice.enqueue({ type: 'noop', idempotencyKey: 'race', input: 'b' }),
        sluice.enqueue({ type: 'noop', idempotencyKey: 'race', input: 'a' }),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.equal(((outcomes[1] as PromiseRejectedResult).reason as { code: string }).code, ErrorCodes.idempotencyMismatch);
      assert.equal((await backend.list({ limit: 10 })).jobs.length, 2);
    });

    it('a bulk: two different jobs with one key are refused; a bulk key keys each job, so a retry makes none', async ({
      backend,
    }) => {
      const sluice = Sluice.fromBackend(backend);
      await assert.rejects(
        sluice.submit([
          { type: 'noop', idempotencyKey: 'k', input: 1 },
          { type: 'noop', input: 0 },
          { type: 'noop', idempotencyKey: 'k', input: 2 },
        ]),
        { code: ErrorCodes.validation, field: 'jobs.2.idempotencyKey' },
      );
      assert.deepEqual((await backend.list({ limit: 10 })).jobs, []);
      const specs = [
        { type: 'noop', input: 1 },
        { type: 'noop', input: 2, idempotencyKey: 'own' },
      ];
      const first = await sluice.submit(specs, { idempotencyKey: 'bulk-1' });
      const retry = await sluice.submit(specs, { idempotencyKey: 'bulk-1' });
      assert.deepEqual(
        first.map((r) => [r.created, r.job.idempotencyKey]),
        [
          [true, 'bulk-1:0'],
          [true, 'own'],
        ],
      );
      assert.deepEqual(
        retry.map((r) => [r.created, r.job.id]),
        first.map((r) => [false, r.job.id]),
      );
      await assert.rejects(sluice.submit([{ type: 'noop', input: 9 }, specs[1]!], { idempotencyKey: 'bulk-1' }), {
        code: ErrorCodes.idempotencyMismatch,
        field: 'jobs.0.idempotencyKey',
      });
      assert.equal((await backend.list({ limit: 10 })).jobs.length, 2);
    });

    it('a batch with a key used before for a different request stores none of its jobs (reject)', async ({ backend }) => {
      await backend.enqueue({ jobs: [newJob({ idempotencyKey: 'used', queue: 'b', input: 1 })] });
      const fresh = newJob({ idempotencyKey: 'fresh', queue: 'a', input: 'x' });
      const plain = newJob({ queue: 'a', input: 'y' });
      // Across queues too: the key hit is in queue b, the new jobs in queue a.
      const reused = newJob({ idempotencyKey: 'used', queue: 'b', input: 2 });
      await assert.rejects(backend.enqueue({ jobs: [fresh, plain, reused], mismatch: 'reject' }), {
        code: ErrorCodes.idempotencyMismatch,
        field: 'jobs.2.idempotencyKey',
      });
      assert.equal((await backend.list({ limit: 10 })).jobs.length, 1, 'nothing of the refused batch is stored');
      // The refused batch took no key: the same new job is created afterwards.
      const [made] = await backend.enqueue({ jobs: [fresh], mismatch: 'reject' });
      assert.equal(made?.created, true);
      // A retry of the same request is no mismatch; a job stored with no hash matches any request.
      const sameRequest = newJob({ idempotencyKey: 'used', queue: 'b', input: 1 });
      const unhashed: NewJob = { ...newJob({ idempotencyKey: 'old', input: 1 }) };
      delete unhashed.requestHash;
      await backend.enqueue({ jobs: [unhashed] });
      const results = await backend.enqueue({
        jobs: [sameRequest, newJob({ idempotencyKey: 'old', input: 2 }), newJob({ input: 3 })],
        mismatch: 'reject',
      });
      assert.deepEqual(
        results.map((r) => r.created),
        [false, false, true],
      );
    });

    it('without reject, a mismatch is reported per job and the rest of the batch is stored', async ({ backend }) => {
      const first = newJob({ idempotencyKey: 'used', input: 1 });
      await backend.enqueue({ jobs: [first] });
      const results = await backend.enqueue({ jobs: [newJob({ input: 'new' }), newJob({ idempotencyKey: 'used', input: 2 })] });
      assert.deepEqual(
        results.map((r) => r.created),
        [true, false],
      );
      assert.equal(results[1]!.requestHash, first.requestHash);
      assert.equal((await backend.list({ limit: 10 })).jobs.length, 2);
    });

    it('the facade: a bulk reusing a key for a different request is refused and stores nothing', async ({ backend }) => {
      const sluice = Sluice.fromBackend(backend);
      await sluice.enqueue({ type: 'noop', idempotencyKey: 'order-1', input: { amount: 10 } });
      await assert.rejects(
        sluice.submit([
          { type: 'noop', input: 'new' },
          { type: 'noop', idempotencyKey: 'order-1', input: { amount: 99 } },
        ]),
        { code: ErrorCodes.idempotencyMismatch, field: 'jobs.1.idempotencyKey' },
      );
      assert.equal((await backend.list({ limit: 10 })).jobs.length, 1);
    });

    it('the facade: concurrent single submits sharing one write, only the one reusing a key is refused', async ({ backend }) => {
      const sluice = Sluice.fromBackend(backend);
      await sluice.enqueue({ type: 'noop', idempotencyKey: 'taken', input: 1 });
      const outcomes = await Promise.allSettled([
        sluice.enqueue({ type: 'noop', input: 'a' }),
        sluice.enqueue({ type: 'noop', idempotencyKey: 'own', input: 'b' }),
        sluice.enqueue({ type: 'noop', idempotencyKey: 'taken', input: 2 }),
        sluice.enqueue({ type: 'noop', input: 'c' }),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
      );
      const { code, field } = (outcomes[2] as PromiseRejectedResult).reason as { code: string; field: string };
      assert.deepEqual({ code, field }, { code: ErrorCodes.idempotencyMismatch, field: 'idempotencyKey' });
      assert.equal((await backend.list({ limit: 10 })).jobs.length, 4);
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
