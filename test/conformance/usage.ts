import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Backend } from '../../src/core/backend.js';
import type { UsageEntry, UsageParams, UsageTotals } from '../../src/core/usage.js';
import { type BackendFactory, backendTest, role } from './harness.js';

/** `recordUsage` / `usage`: token and cost accounting. Skipped, with the reason, for backends without `capabilities.usage`. */
export function usageSuite(factory: BackendFactory): void {
  describe('usage', () => {
    const it = backendTest(factory);
    const ledger = { requires: 'usage' } as const;
    const record = (backend: Backend, entries: UsageEntry[]): Promise<void> => role(backend, 'usage').recordUsage({ entries });
    const totals = (backend: Backend, params: UsageParams = {}): Promise<UsageTotals> => role(backend, 'usage').usage(params);
    const entry = (overrides: Partial<UsageEntry> = {}): UsageEntry => ({
      jobId: 'j1',
      queue: 'q1',
      type: 'chat',
      provider: 'p1',
      model: 'm1',
      inputTokens: 10,
      outputTokens: 5,
      ...overrides,
    });
    /** Exact binary fractions, so that sums compare exactly whatever the order of addition. */
    const SAMPLE: UsageEntry[] = [
      entry({ jobId: 'a', tenant: 't1', costUsd: 0.5 }),
      entry({
        jobId: 'b',
        tenant: 't1',
        queue: 'q2',
        type: 'embed',
        model: 'e1',
        inputTokens: 100,
        outputTokens: 0,
        costUsd: 0.25,
      }),
      entry({ jobId: 'c', tenant: 't2', provider: 'p2', inputTokens: 20, outputTokens: 7, costUsd: 0.125 }),
      entry({ jobId: 'd', provider: 'p2', inputTokens: 1, outputTokens: 1 }), // no tenant, no price
    ];

    it(
      'no entries: zero totals and empty breakdowns',
      async ({ backend }) => {
        assert.deepEqual(await totals(backend), {
          inputTokens: 0,
          outputTokens: 0,
          totalTokens: 0,
          costUsd: 0,
          calls: 0,
          byQueue: [],
          byTenant: [],
          byProvider: [],
          byModel: [],
        });
      },
      ledger,
    );

    it(
      'sums tokens, cost and calls, with breakdowns by queue, tenant, provider and model',
      async ({ backend }) => {
        await record(backend, SAMPLE);
        const all = await totals(backend);
        assert.deepEqual(
          { ...all, byQueue: undefined, byTenant: undefined, byProvider: undefined, byModel: undefined },
          {
            inputTokens: 131,
            outputTokens: 13,
            totalTokens: 144,
            costUsd: 0.875,
            calls: 4,
            byQueue: undefined,
            byTenant: undefined,
            byProvider: undefined,
            byModel: undefined,
          },
        );
        assert.deepEqual(all.byQueue, [
          { queue: 'q1', inputTokens: 31, outputTokens: 13, totalTokens: 44, costUsd: 0.625, calls: 3 },
          { queue: 'q2', inputTokens: 100, outputTokens: 0, totalTokens: 100, costUsd: 0.25, calls: 1 },
        ]);
        assert.deepEqual(all.byTenant, [
          { tenant: null, inputTokens: 1, outputTokens: 1, totalTokens: 2, costUsd: 0, calls: 1 },
          { tenant: 't1', inputTokens: 110, outputTokens: 5, totalTokens: 115, costUsd: 0.75, calls: 2 },
          { tenant: 't2', inputTokens: 20, outputTokens: 7, totalTokens: 27, costUsd: 0.125, calls: 1 },
        ]);
        assert.deepEqual(all.byProvider, [
          { provider: 'p1', inputTokens: 110, outputTokens: 5, totalTokens: 115, costUsd: 0.75, calls: 2 },
          { provider: 'p2', inputTokens: 21, outputTokens: 8, totalTokens: 29, costUsd: 0.125, calls: 2 },
        ]);
        assert.deepEqual(all.byModel, [
          { model: 'e1', inputTokens: 100, outputTokens: 0, totalTokens: 100, costUsd: 0.25, calls: 1 },
          { model: 'm1', inputTokens: 31, outputTokens: 13, totalTokens: 44, costUsd: 0.625, calls: 3 },
        ]);
      },
      ledger,
    );

    it(
      'filters by queue and tenant; a tenant-scoped answer has no byTenant',
      async ({ backend }) => {
        await record(backend, SAMPLE);
        const q2 = await totals(backend, { queue: 'q2' });
        assert.equal(q2.calls, 1);
        assert.equal(q2.inputTokens, 100);
        assert.deepEqual(
          q2.byQueue.map((b) => b.queue),
          ['q2'],
        );
        const t1 = await totals(backend, { tenant: 't1' });
        assert.equal(t1.byTenant, undefined);
        assert.equal(t1.calls, 2);
        assert.equal(t1.totalTokens, 115);
        assert.equal(t1.costUsd, 0.75);
        const t1q1 = await totals(backend, { tenant: 't1', queue: 'q1' });
        assert.equal(t1q1.calls, 1);
        assert.equal((await totals(backend, { tenant: 'nobody' })).calls, 0);
      },
      ledger,
    );

    it(
      'entries are stamped with the backend clock; since is inclusive, until exclusive',
      async ({ backend, clock }) => {
        const t0 = clock.now();
        await record(backend, [entry({ jobId: 'early' })]);
        clock.advance(60_000);
        await record(backend, [entry({ jobId: 'late', inputTokens: 1, outputTokens: 0 })]);
        await record(backend, [entry({ jobId: 'given', at: t0 - 1000, inputTokens: 1000, outputTokens: 0 })]);
        assert.equal((await totals(backend, { since: t0 })).inputTokens, 11);
        assert.equal((await totals(backend, { since: t0 + 1 })).inputTokens, 1);
        assert.equal((await totals(backend, { until: t0 })).inputTokens, 1000);
        assert.equal((await totals(backend, { since: t0, until: t0 + 60_000 })).inputTokens, 10);
        assert.equal((await totals(backend, { since: t0 - 1000, until: t0 + 60_001 })).calls, 3);
      },
      ledger,
    );

    it(
      'every handle sees the same entries, and purging finished jobs keeps them',
      async ({ backend, clock, openAnother }) => {
        const other = await openAnother();
        await record(backend, SAMPLE.slice(0, 2));
        await record(other, SAMPLE.slice(2));
        await record(backend, []);
        assert.equal((await totals(other)).calls, 4);
        clock.advance(10 * 24 * 3600_000);
        await backend.purgeFinished({ finishedOlderThanMs: 1000 });
        assert.equal((await totals(backend)).totalTokens, 144);
      },
      ledger,
    );

    it(
      'a backend without capabilities.usage has no usage ledger',
      async ({ backend }) => {
        assert.equal(backend.recordUsage, undefined, 'declared as absent, so absent');
        assert.equal(backend.usage, undefined, 'declared as absent, so absent');
      },
      { lacks: 'usage' },
    );
  });
}
