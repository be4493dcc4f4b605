import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Backend } from '../../src/core/backend.js';
import type { BucketRequest, RateBudgetAction, RateBudgetResult } from '../../src/core/rate-budget.js';
import { type BackendFactory, backendTest, role } from './harness.js';

/** `updateRateBudget`: provider budgets shared by every handle on the storage. Skipped, with the reason, for backends without it. */
export function rateBudgetsSuite(factory: BackendFactory): void {
  describe('rate budgets', () => {
    const it = backendTest(factory);
    const budgets = { requires: 'rateBudgets' } as const;
    const update = (backend: Backend, action: RateBudgetAction, scope = 'provider:p'): Promise<RateBudgetResult> =>
      role(backend, 'rateBudgets').updateRateBudget({ scope, action });
    // 60 requests a minute, a bucket of 10.
    const rpm: BucketRequest = { key: 'provider:p:rpm', cost: 1, ratePerMinute: 60, burst: 10 };

    it(
      'a new scope is at full rate and not blocked',
      async ({ backend }) => {
        assert.deepEqual(await update(backend, { kind: 'read' }), { granted: true, waitMs: 0, factor: 1, blockedUntil: 0 });
      },
      budgets,
    );

    it(
      'handles share one bucket, refilled by the backend clock',
      async ({ backend, clock, openAnother }) => {
        const other = await openAnother();
        const results = await Promise.all(
          Array.from({ length: 16 }, (_, i) => update(i % 2 === 0 ? backend : other, { kind: 'acquire', buckets: [rpm] })),
        );
        assert.equal(results.filter((result) => result.granted).length, 10);
        assert.equal(results.find((result) => !result.granted)?.waitMs, 1000);
        clock.advance(1000);
        assert.equal((await update(other, { kind: 'acquire', buckets: [rpm] })).granted, true);
        assert.equal((await update(backend, { kind: 'acquire', buckets: [rpm] })).granted, false);
      },
      budgets,
    );

    it(
      'a decrease is seen by every handle and blocks until the reset',
      async ({ backend, clock, openAnother }) => {
        const other = await openAnother();
        await update(backend, { kind: 'acquire', buckets: [rpm] });
        await update(backend, { kind: 'decrease', multiplier: 0.5, minFactor: 0.05, blockMs: 3000 });
        const seen = await update(other, { kind: 'acquire', buckets: [rpm] });
        assert.deepEqual(seen, { granted: false, waitMs: 3000, factor: 0.5, blockedUntil: clock.now() + 3000 });
        await update(other, { kind: 'increase', step: 0.25 });
        assert.equal((await update(backend, { kind: 'read' })).factor, 0.75);
        assert.equal((await update(backend, { kind: 'read' }, 'provider:other')).factor, 1, 'scopes are separate');
      },
      budgets,
    );

    it(
      'adjust gives tokens back (reconciliation)',
      async ({ backend }) => {
        const tpm: BucketRequest = { key: 'provider:p:tpm', cost: 1000, ratePerMinute: 6000, burst: 1000 };
        assert.equal((await update(backend, { kind: 'acquire', buckets: [tpm] })).granted, true);
        assert.equal((await update(backend, { kind: 'acquire', buckets: [{ ...tpm, cost: 500 }] })).granted, false);
        await update(backend, { kind: 'adjust', bucket: tpm, delta: 600 });
        assert.equal((await update(backend, { kind: 'acquire', buckets: [{ ...tpm, cost: 500 }] })).granted, true);
      },
      budgets,
    );

    it(
      'a backend without capabilities.rateBudgets has no updateRateBudget',
      async ({ backend }) => {
        assert.equal(backend.updateRateBudget, undefined, 'declared as absent, so absent');
      },
      { lacks: 'rateBudgets' },
    );
  });
}
