import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { withCapability } from '../../src/core/backend.js';
import { type BackendFactory, backendTest, claim, enqueueOne, LEASE_MS, mustGet } from './harness.js';

/** A claim scoped to a tenant leases only that tenant's jobs (a remote worker of one tenant must
 * never see another's). Unscoped claims take every tenant's jobs, as before. */
export function claimTenantSuite(factory: BackendFactory): void {
  describe('claim by tenant', () => {
    const it = backendTest(factory);
    const scoped = { requires: 'tenantClaims' } as const;

    it(
      "a tenant's claim leases only that tenant's jobs, in the usual order",
      async ({ backend }) => {
        const a1 = await enqueueOne(backend, { priority: 1 }, { tenant: 'acme' });
        const b1 = await enqueueOne(backend, { priority: 9 }, { tenant: 'bolt' });
        const a2 = await enqueueOne(backend, { priority: 5 }, { tenant: 'acme' });
        const none = await enqueueOne(backend, { priority: 7 });
        const claimed = await claim(backend, { tenant: 'acme' });
        assert.deepEqual(
          claimed.map((j) => j.id),
          [a2.id, a1.id],
        );
        assert.ok(claimed.every((j) => j.tenant === 'acme'));
        assert.equal((await mustGet(backend, b1.id)).status, 'queued');
        assert.equal((await mustGet(backend, none.id)).status, 'queued');
      },
      scoped,
    );

    it(
      'a tenant with no due jobs claims nothing, while others wait',
      async ({ backend }) => {
        const other = await enqueueOne(backend, {}, { tenant: 'bolt' });
        assert.deepEqual(await claim(backend, { tenant: 'acme' }), []);
        assert.equal((await mustGet(backend, other.id)).status, 'queued');
      },
      scoped,
    );

    it(
      'a scoped claim honours the limit across queues and types',
      async ({ backend }) => {
        for (let i = 0; i < 3; i++) await enqueueOne(backend, { queue: 'a' }, { tenant: 'acme' });
        await enqueueOne(backend, { queue: 'b', type: 'sleep' }, { tenant: 'acme' });
        await enqueueOne(backend, { queue: 'b' }, { tenant: 'bolt' });
        const first = await claim(backend, { tenant: 'acme', queues: ['a', 'b'], types: ['noop'], limit: 2 });
        assert.equal(first.length, 2);
        const second = await claim(backend, { tenant: 'acme', queues: ['a', 'b'], types: ['noop'] });
        assert.equal(second.length, 1);
        assert.ok([...first, ...second].every((j) => j.tenant === 'acme' && j.type === 'noop'));
      },
      scoped,
    );

    it("an unscoped claim still takes every tenant's jobs", async ({ backend }) => {
      await enqueueOne(backend, {}, { tenant: 'acme' });
      await enqueueOne(backend, {}, { tenant: 'bolt' });
      await enqueueOne(backend);
      assert.equal((await claim(backend)).length, 3);
    });

    it(
      "claimIds with a tenant skips another tenant's ids",
      async ({ backend }) => {
        const mine = await enqueueOne(backend, {}, { tenant: 'acme' });
        const theirs = await enqueueOne(backend, {}, { tenant: 'bolt' });
        const byId = withCapability(backend, 'claimById');
        assert.ok(byId);
        const claimed = await byId.claimIds({ ids: [theirs.id, mine.id], tenant: 'acme', leaseMs: LEASE_MS, workerId: 'w1' });
        assert.deepEqual(
          claimed.map((j) => j.id),
          [mine.id],
        );
        assert.equal((await mustGet(backend, theirs.id)).status, 'queued');
      },
      { requires: ['tenantClaims', 'claimById'] },
    );
  });
}
