import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type BackendFactory, backendTest, claimOne, enqueue, enqueueOne, leaseOf, newJob } from './harness.js';

/** Listing (newest first, cursor pages, filters) and tenant scoping. */
export function listAndTenantsSuite(factory: BackendFactory): void {
  describe('list and tenants', () => {
    const it = backendTest(factory);

    it('lists newest first and pages with a cursor through every job once', async ({ backend }) => {
      const jobs = await enqueue(backend, ...Array.from({ length: 7 }, (_, i) => ({ input: i })));
      const newestFirst = jobs.map((j) => j.id).reverse();
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await backend.list({ limit: 3, cursor });
        pages++;
        assert.ok(page.jobs.length <= 3);
        seen.push(...page.jobs.map((j) => j.id));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      assert.deepEqual(seen, newestFirst);
      assert.equal(pages, 3);
    });

    it('a page that ends exactly at the last job has no next cursor', async ({ backend }) => {
      await enqueue(backend, {}, {}, {});
      const page = await backend.list({ limit: 3 });
      assert.equal(page.jobs.length, 3);
      assert.equal(page.nextCursor, undefined);
      assert.deepEqual(await backend.list({ limit: 10 }), { jobs: page.jobs });
    });

    it('filters by queue, status and type', async ({ backend }) => {
      const [a, b, c] = await enqueue(
        backend,
        { queue: 'q1', type: 'math' },
        { queue: 'q1', type: 'chat' },
        { queue: 'q2', type: 'math' },
      );
      const claimed = await claimOne(backend, { queues: ['q2'] });
      await backend.complete({ items: [{ ...leaseOf(claimed), output: 1 }] });
      const ids = async (params: Parameters<typeof backend.list>[0]) => (await backend.list(params)).jobs.map((j) => j.id);
      assert.deepEqual(await ids({ queue: 'q1', limit: 10 }), [b!.id, a!.id]);
      assert.deepEqual(await ids({ type: 'math', limit: 10 }), [c!.id, a!.id]);
      assert.deepEqual(await ids({ status: 'succeeded', limit: 10 }), [c!.id]);
      assert.deepEqual(await ids({ status: 'queued', queue: 'q1', type: 'chat', limit: 10 }), [b!.id]);
      assert.deepEqual(await ids({ status: 'failed', limit: 10 }), []);
    });

    it('filters combine with the cursor', async ({ backend }) => {
      const jobs = await enqueue(backend, ...Array.from({ length: 6 }, (_, i) => ({ queue: i % 2 === 0 ? 'even' : 'odd' })));
      const first = await backend.list({ queue: 'even', limit: 2 });
      assert.ok(first.nextCursor);
      const second = await backend.list({ queue: 'even', limit: 2, cursor: first.nextCursor });
      assert.deepEqual(
        [...first.jobs, ...second.jobs].map((j) => j.id),
        [jobs[4]!.id, jobs[2]!.id, jobs[0]!.id],
      );
      assert.equal(second.nextCursor, undefined);
    });

    it('a tenant sees only its own jobs; no tenant means every job', async ({ backend }) => {
      const mine = await enqueueOne(backend, { input: 'mine' }, { tenant: 'acme' });
      const theirs = await enqueueOne(backend, { input: 'theirs' }, { tenant: 'globex' });
      const shared = await enqueueOne(backend, { input: 'untenanted' });
      assert.equal(mine.tenant, 'acme');

      assert.equal((await backend.get({ id: mine.id, tenant: 'acme' }))?.id, mine.id);
      assert.equal(await backend.get({ id: theirs.id, tenant: 'acme' }), null);
      assert.equal(await backend.get({ id: shared.id, tenant: 'acme' }), null);
      assert.equal((await backend.get({ id: theirs.id }))?.id, theirs.id);

      assert.deepEqual(
        (await backend.list({ tenant: 'acme', limit: 10 })).jobs.map((j) => j.id),
        [mine.id],
      );
      assert.equal((await backend.list({ limit: 10 })).jobs.length, 3);
    });

    it('an unknown id reads as null', async ({ backend }) => {
      assert.equal(await backend.get({ id: '01890000-0000-7000-8000-000000000000' }), null);
    });

    it("a tenant's jobs are claimed and settled like any other", async ({ backend }) => {
      const [result] = await backend.enqueue({ jobs: [newJob({}, { tenant: 'acme' })] });
      const claimed = await claimOne(backend);
      assert.equal(claimed.id, result!.job.id);
      assert.equal(claimed.tenant, 'acme');
      await backend.complete({ items: [{ ...leaseOf(claimed), output: 'ok' }] });
      assert.equal((await backend.get({ id: claimed.id, tenant: 'acme' }))?.status, 'succeeded');
    });
  });
}
