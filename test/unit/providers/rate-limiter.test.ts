import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryRateLimitStore } from '../../../src/providers/rate-limit-store.js';
import { ProviderLimiter } from '../../../src/providers/rate-limiter.js';

const pick = ({ granted, waitMs }: { granted: boolean; waitMs: number }) => ({ granted, waitMs });

function limiter(options: { rpm?: number; tpm?: number } = {}) {
  const clock = { now: 0 };
  const store = new MemoryRateLimitStore({ now: () => clock.now });
  const made = new ProviderLimiter(store, { scope: 'provider:a', burstSeconds: 60, ...options });
  return { clock, store, limiter: made };
}

describe('ProviderLimiter', () => {
  test('requests per minute: a full bucket, then a wait that matches the refill rate', async () => {
    const { clock, limiter: l } = limiter({ rpm: 60 });
    for (let i = 0; i < 60; i += 1) assert.equal((await l.tryAcquire(0)).granted, true);
    assert.deepEqual(pick(await l.tryAcquire(0)), { granted: false, waitMs: 1000 });
    clock.now += 1000;
    assert.equal((await l.tryAcquire(0)).granted, true);
  });

  test('tokens per minute: all or nothing across both buckets', async () => {
    const { limiter: l } = limiter({ rpm: 100, tpm: 1000 });
    assert.equal((await l.tryAcquire(900)).granted, true);
    const refused = await l.tryAcquire(200);
    assert.equal(refused.granted, false);
    assert.equal(refused.waitMs, 6000); // 100 tokens missing at 1000/min
    // The refused call took no request either: 99 requests are left.
    for (let i = 0; i < 99; i += 1) assert.equal((await l.tryAcquire(0)).granted, true);
    assert.equal((await l.tryAcquire(0)).granted, false);
  });

  test('reconciliation gives back an overestimate and takes an underestimate', async () => {
    const { limiter: l } = limiter({ tpm: 1000 });
    assert.equal((await l.tryAcquire(800)).granted, true);
    assert.equal((await l.tryAcquire(800)).granted, false);
    await l.reconcile(800, 100); // the call used 100 tokens: 700 come back
    assert.equal((await l.tryAcquire(800)).granted, true);
    await l.reconcile(800, 1000); // used 200 more than estimated: the bucket goes into debt
    const refused = await l.tryAcquire(1);
    assert.equal(refused.granted, false);
    assert.equal(refused.waitMs, 60 * 101); // 100 tokens of debt + the 1 asked for, at 1000/min
  });

  test('a cost larger than the bucket passes once the bucket is full (as a debt)', async () => {
    const { clock, limiter: l } = limiter({ tpm: 100 });
    assert.equal((await l.tryAcquire(250)).granted, true);
    assert.equal((await l.tryAcquire(1)).granted, false);
    clock.now += 60_000 * 2.5;
    assert.equal((await l.tryAcquire(1)).granted, true);
  });

  test('AIMD: a 429 halves the rate and pauses until the reset; successes climb back to the configured rate', async () => {
    const { clock, limiter: l } = limiter({ rpm: 60 });
    assert.equal((await l.tryAcquire(0)).granted, true);
    let state = await l.rateLimited(2000);
    assert.equal(state.factor, 0.5);
    assert.equal(state.blockedUntil, 2000);
    assert.deepEqual(pick(await l.tryAcquire(0)), { granted: false, waitMs: 2000 });
    state = await l.rateLimited(0);
    assert.equal(state.factor, 0.25);
    clock.now = 2000;
    // The bucket was emptied; at 25% of 60/min one request comes every 4 s.
    assert.deepEqual(pick(await l.tryAcquire(0)), { granted: false, waitMs: 2000 });
    clock.now = 4000;
    assert.equal((await l.tryAcquire(0)).granted, true);
    for (let i = 0; i < 15; i += 1) await l.succeeded();
    assert.equal((await l.state()).factor, 1);
    await l.succeeded();
    assert.equal((await l.state()).factor, 1);
  });

  test('the factor never falls below the floor, and limiters sharing a store share budgets', async () => {
    const store = new MemoryRateLimitStore({ now: () => 0 });
    const a = new ProviderLimiter(store, { scope: 'provider:x', rpm: 2, burstSeconds: 60 });
    const b = new ProviderLimiter(store, { scope: 'provider:x', rpm: 2, burstSeconds: 60 });
    assert.equal((await a.tryAcquire(0)).granted, true);
    assert.equal((await b.tryAcquire(0)).granted, true);
    assert.equal((await a.tryAcquire(0)).granted, false);
    for (let i = 0; i < 20; i += 1) await a.rateLimited(0);
    assert.equal((await b.state()).factor, 0.05);
  });
});
