import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Backend, ClaimIdsParams } from '../../src/core/backend.js';
import type { ClaimedJob } from '../../src/core/job.js';
import { type BackendFactory, backendTest, claimOne, enqueue, enqueueOne, LEASE_MS, leaseOf, mustGet, role } from './harness.js';

/** `claimIds`: leasing exactly the jobs a transport delivered. Skipped, with the reason, for backends without it. */
export function claimIdsSuite(factory: BackendFactory): void {
  describe('claim by id', () => {
    const it = backendTest(factory);
    const byId = { requires: 'claimById' } as const;
    const claimIds = (backend: Backend, params: Partial<ClaimIdsParams> & { ids: string[] }): Promise<ClaimedJob[]> =>
      role(backend, 'claimById').claimIds({ leaseMs: LEASE_MS, workerId: 'w1', ...params });

    it(
      'leases exactly the listed waiting jobs, in claim order, each under its own lease',
      async ({ backend, clock }) => {
        const [a, b, c] = await enqueue(backend, { priority: 1 }, { priority: 5 }, { priority: 3 });
        const claimed = await claimIds(backend, { ids: [a!.id, b!.id, a!.id] });
        assert.deepEqual(
          claimed.map((j) => j.id),
          [b!.id, a!.id],
        );
        for (const job of claimed) {
          assert.equal(job.status, 'running');
          assert.equal(job.attempts, 1);
          assert.equal(job.leaseExpiresAt, clock.now() + LEASE_MS);
          assert.equal(job.workerId, 'w1');
        }
        assert.notEqual(claimed[0]!.leaseToken, claimed[1]!.leaseToken);
        assert.equal((await mustGet(backend, c!.id)).status, 'queued');
      },
      byId,
    );

    it(
      'skips running, ended, unknown, not yet due, paused and other-typed jobs',
      async ({ backend, clock }) => {
        const running = await enqueueOne(backend);
        const held = await claimOne(backend);
        assert.equal(held.id, running.id);
        const ended = await enqueueOne(backend);
        await backend.cancel({ id: ended.id });
        const later = await enqueueOne(backend, { delayMs: 60_000 });
        const paused = await enqueueOne(backend, { queue: 'p' });
        await backend.pauseQueue({ queue: 'p', paused: true });
        const other = await enqueueOne(backend, { type: 'math' });
        const ids = [running.id, ended.id, later.id, paused.id, other.id, 'no-such-job'];
        assert.deepEqual(await claimIds(backend, { ids, types: ['noop'] }), []);
        assert.equal((await mustGet(backend, running.id)).attempts, 1, 'a duplicate delivery starts no second attempt');
        // The same ids become claimable as their conditions change.
        clock.advance(60_000);
        await backend.pauseQueue({ queue: 'p', paused: false });
        const claimed = await claimIds(backend, { ids });
        assert.deepEqual(new Set(claimed.map((j) => j.id)), new Set([later.id, paused.id, other.id]));
        const stale = await claimIds(backend, { ids: [held.id] });
        assert.deepEqual(stale, []);
        await backend.complete({ items: [{ ...leaseOf(held), output: null }] });
      },
      byId,
    );

    it(
      'two handles racing on the same ids lease each job once',
      async ({ backend, openAnother }) => {
        const other = await openAnother();
        const jobs = await enqueue(backend, ...Array.from({ length: 20 }, () => ({})));
        const ids = jobs.map((j) => j.id);
        const [x, y] = await Promise.all([claimIds(backend, { ids }), claimIds(other, { ids })]);
        const all = [...x, ...y].map((j) => j.id);
        assert.equal(new Set(all).size, all.length);
        assert.equal(all.length, 20);
      },
      byId,
    );

    it(
      'a backend without capabilities.claimById has no claimIds',
      async ({ backend }) => {
        assert.equal(backend.claimIds, undefined, 'declared as absent, so absent');
      },
      { lacks: 'claimById' },
    );
  });
}
