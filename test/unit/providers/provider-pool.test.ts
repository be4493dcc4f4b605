import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { chatCompletion, createEmbeddings } from '../../../src/providers/provider-calls.js';
import { ProviderPool } from '../../../src/providers/provider-pool.js';
import { type PoolFixture, poolFixture, seededRandom } from './pool-fixture.js';

const hello = { model: 'm', messages: [{ role: 'user' as const, content: 'hello' }], estimatedTokens: 10 };

function hasCode(code: string, pattern?: RegExp) {
  return (error: { code?: string; message?: string }) => {
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message ?? '', pattern);
    return true;
  };
}

describe('ProviderPool failover', () => {
  let f: PoolFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  test('a 500 fails over to the next provider within the same call', async () => {
    f = await poolFixture([{ name: 'a' }, { name: 'b' }]);
    f.mocks.a?.failNext('error');
    const result = await chatCompletion(f.pool, hello);
    assert.equal(result.provider, 'b');
    assert.equal(result.value.text, 'hello');
    assert.equal(f.mocks.a?.stats.byStatus[500], 1);
    assert.deepEqual(
      f.events
        .filter((event) => event.type === 'failure')
        .map((event) => [event.provider, event.type === 'failure' && event.failure.status]),
      [['a', 500]],
    );
  });

  test('a 429 fails over, and lowers the rate of the provider that sent it (AIMD)', async () => {
    f = await poolFixture([{ name: 'a', mock: { retryAfterSeconds: 0 }, config: { rpm: 60_000 } }, { name: 'b' }]);
    f.mocks.a?.failNext('rate-limit');
    const result = await chatCompletion(f.pool, hello);
    assert.equal(result.provider, 'b');
    const limiter = f.pool.member('a')?.limiter;
    assert.equal((await limiter?.state())?.factor, 0.5);
    // Successes on `a` add back linearly up to the configured rate (b serves while a has no budget).
    let servedByA = 0;
    for (let i = 0; i < 500 && (await limiter?.state())?.factor !== 1; i += 1) {
      if ((await chatCompletion(f.pool, hello)).provider === 'a') servedByA += 1;
    }
    assert.equal((await limiter?.state())?.factor, 1);
    assert.equal(servedByA, 10); // 0.5 + 10 × 0.05
  });

  test('a provider that hangs past its timeout fails over', async () => {
    f = await poolFixture([{ name: 'a', config: { timeoutMs: 200 } }, { name: 'b' }]);
    f.mocks.a?.failNext('hang');
    const result = await createEmbeddings(f.pool, { model: 'e', texts: ['x', 'y'], estimatedTokens: 2 });
    assert.equal(result.provider, 'b');
    assert.equal(result.value.length, 2);
    const failure = f.events.find((event) => event.type === 'failure');
    assert.equal(failure?.type === 'failure' && failure.failure.kind, 'timeout');
  });

  test('every provider rate limited: RateLimitedError with the smallest retry-after', async () => {
    f = await poolFixture([
      { name: 'a', mock: { retryAfterSeconds: 7 } },
      { name: 'b', mock: { retryAfterSeconds: 3 } },
    ]);
    f.mocks.a?.failNext('rate-limit');
    f.mocks.b?.failNext('rate-limit');
    await assert.rejects(chatCompletion(f.pool, hello), (error: { code?: string; retryAfterMs?: number }) => {
      assert.equal(error.code, 'SLUICE_RATE_LIMITED');
      assert.equal(error.retryAfterMs, 3000);
      return true;
    });
  });

  test('every provider failing is a transient error naming each', async () => {
    f = await poolFixture([{ name: 'a' }, { name: 'b' }]);
    f.mocks.a?.failNext('error');
    f.mocks.b?.failNext('rate-limit');
    await assert.rejects(chatCompletion(f.pool, hello), hasCode('SLUICE_PROVIDER_UNAVAILABLE', /a: 500.*b: 429/));
  });

  test('a 4xx other than 429 is permanent and does not fail over', async () => {
    f = await poolFixture([{ name: 'a', mock: { models: ['other'] } }, { name: 'b' }]);
    await assert.rejects(chatCompletion(f.pool, hello), hasCode('SLUICE_PERMANENT', /provider a rejected the request \(404\)/));
    assert.equal(f.mocks.b?.stats.requests, 0);
  });

  test('a model no provider serves is permanent', async () => {
    f = await poolFixture([{ name: 'a' }]);
    await assert.rejects(
      chatCompletion(f.pool, { ...hello, model: 'gpt-nope' }),
      hasCode('SLUICE_PERMANENT', /no provider serves model "gpt-nope"/),
    );
  });

  test('the circuit opens after consecutive failures and the provider is skipped', async () => {
    f = await poolFixture([{ name: 'a' }, { name: 'b' }], { breakerThreshold: 2, halfOpenAfterMs: 60_000 });
    f.mocks.a?.failNext('error', 2);
    assert.equal((await chatCompletion(f.pool, hello)).provider, 'b');
    assert.equal((await chatCompletion(f.pool, hello)).provider, 'b');
    assert.ok(f.events.some((event) => event.type === 'circuit' && event.provider === 'a' && event.state === 'open'));
    const before = f.mocks.a?.stats.requests;
    assert.equal((await chatCompletion(f.pool, hello)).provider, 'b');
    assert.equal(f.mocks.a?.stats.requests, before, 'an open circuit sends nothing');
    assert.ok(f.events.some((event) => event.type === 'skipped' && event.provider === 'a'));
  });

  test('pricing gives the cost of a call', async () => {
    f = await poolFixture([{ name: 'a', config: { pricing: { inputPerMTok: 1_000_000, outputPerMTok: 2_000_000 } } }]);
    const result = await chatCompletion(f.pool, hello);
    assert.equal(result.costUsd, result.usage.inputTokens + 2 * result.usage.outputTokens);
  });
});

describe('ProviderPool budgets', () => {
  let f: PoolFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  test('token estimates are reconciled with the reported usage', async () => {
    // tpm 6000: a bucket of 1000 tokens. Each call reserves 900 but uses ~7; without
    // reconciliation the second call would find no budget (and maxBudgetWaitMs 0 would throw).
    f = await poolFixture([{ name: 'a', config: { tpm: 6000 } }], { maxBudgetWaitMs: 0 });
    for (let i = 0; i < 3; i += 1) {
      const result = await chatCompletion(f.pool, { ...hello, estimatedTokens: 900 });
      assert.equal(result.provider, 'a');
      assert.ok(result.usage.totalTokens < 20);
    }
  });

  test('no budget: waits (not a failure) and then serves; beyond the bound it is RateLimitedError', async () => {
    // The pool's clock stands still until it says it is waiting; then a minute passes.
    let now = 1_000_000;
    f = await poolFixture([{ name: 'a', config: { tpm: 600_000 } }], {
      now: () => now,
      onEvent: (event) => {
        if (event.type === 'waiting') now += 60_000;
      },
    });
    const call = (estimatedTokens: number) =>
      f?.pool.run({ model: 'm', estimatedTokens }, async () => ({
        value: 'ok',
        usage: { inputTokens: estimatedTokens, outputTokens: 0, totalTokens: estimatedTokens },
      }));
    await call(100_000); // the whole bucket
    const served = await call(10);
    assert.equal(served?.provider, 'a');
    assert.ok(f.events.some((event) => event.type === 'waiting'));

    // A clock that stands still: no refill between the two calls.
    const strict = new ProviderPool([{ ...(f.pool.members[0]?.config ?? assert.fail()) }], { maxBudgetWaitMs: 0, now: () => 0 });
    await strict.run({ model: 'm', estimatedTokens: 100_000 }, async () => ({
      value: 'ok',
      usage: { inputTokens: 100_000, outputTokens: 0, totalTokens: 100_000 },
    }));
    await assert.rejects(
      strict.run({ model: 'm', estimatedTokens: 10 }, async () => assert.fail('must not be called')),
      hasCode('SLUICE_RATE_LIMITED'),
    );
  });

  test('waiting for budget ends when the job is aborted, with the abort reason', async () => {
    f = await poolFixture([{ name: 'a', config: { tpm: 600_000 } }], { now: () => 0 });
    const usage = { inputTokens: 100_000, outputTokens: 0, totalTokens: 100_000 };
    await f.pool.run({ model: 'm', estimatedTokens: 100_000 }, async () => ({ value: 0, usage }));
    const controller = new AbortController();
    const waiting = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (f?.events.some((event) => event.type === 'waiting')) {
          clearInterval(check);
          resolve();
        }
      }, 1);
    });
    const call = f.pool.run({ model: 'm', estimatedTokens: 10, signal: controller.signal }, async () => assert.fail('no budget'));
    await waiting;
    controller.abort(new Error('job cancelled'));
    await assert.rejects(call, /job cancelled/);
  });

  test('least-outstanding sends a second concurrent call to the idle provider', async () => {
    f = await poolFixture([{ name: 'a' }, { name: 'b' }]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    const first = f.pool.run({ model: 'm', estimatedTokens: 0 }, async () => {
      await gate;
      return { value: 1, usage };
    });
    const second = await f.pool.run({ model: 'm', estimatedTokens: 0 }, async () => ({ value: 2, usage }));
    release();
    assert.equal((await first).provider, 'a');
    assert.equal(second.provider, 'b');
  });

  test('maxConcurrency makes a call wait for a free slot', async () => {
    f = await poolFixture([{ name: 'a', config: { maxConcurrency: 1 } }]);
    const usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    let inFlight = 0;
    let most = 0;
    const run = () =>
      f?.pool.run({ model: 'm', estimatedTokens: 0 }, async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        return { value: 0, usage };
      });
    await Promise.all([run(), run(), run()]);
    assert.equal(most, 1);
  });

  test('weighted strategy spreads first choices by weight', async () => {
    f = await poolFixture(
      [
        { name: 'a', config: { weight: 3 } },
        { name: 'b', config: { weight: 1 } },
      ],
      {
        strategy: 'weighted',
        random: seededRandom(7),
      },
    );
    const usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 400; i += 1) {
      const result = await f.pool.run({ model: 'm', estimatedTokens: 0 }, async () => ({ value: 0, usage }));
      counts[result.provider] = (counts[result.provider] ?? 0) + 1;
    }
    assert.ok((counts.a ?? 0) > 250 && (counts.a ?? 0) < 350, JSON.stringify(counts));
  });
});
