import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { SqliteBackend } from '../../../src/backends/sqlite/sqlite-backend.js';
import { chatCompletion } from '../../../src/providers/provider-calls.js';
import { ProviderPool } from '../../../src/providers/provider-pool.js';
import { backendRateLimitStore, MemoryRateLimitStore } from '../../../src/providers/rate-limit-store.js';
import { ProviderLimiter } from '../../../src/providers/rate-limiter.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemoryBackend } from '../../helpers/memory-backend.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { type PoolFixture, poolFixture } from './pool-fixture.js';

const run = promisify(execFile);
const hello = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], estimatedTokens: 10 };

describe('rate budgets kept in the backend', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let f: PoolFixture;
  beforeEach(async () => {
    temp = makeTempDir();
    f = await poolFixture([{ name: 'mock' }]);
  });
  afterEach(async () => {
    await f.close();
    temp.cleanup();
  });

  test('two SQLite connections share one bucket, and a 429 seen by one slows the other', async () => {
    const clock = new FakeClock();
    const path = join(temp.dir, 'budgets.db');
    const [one, two] = await Promise.all([SqliteBackend.open({ path, clock }), SqliteBackend.open({ path, clock })]);
    try {
      assert.equal(one.capabilities.rateBudgets, true);
      const config = { name: 'mock', baseUrl: f.mocks.mock?.url ?? '', models: ['m'], weight: 1, timeoutMs: 5_000, rpm: 60 };
      const pools = [one, two].map(
        (backend) =>
          new ProviderPool([config], { rateLimitStore: backendRateLimitStore(backend) ?? assert.fail(), maxBudgetWaitMs: 0 }),
      );
      // rpm 60 holds 10 s of rate: 10 requests, whichever worker makes them.
      let served = 0;
      for (let i = 0; i < 20; i += 1) {
        const pool = pools[i % 2] ?? assert.fail();
        try {
          await chatCompletion(pool, hello);
          served += 1;
        } catch (error) {
          assert.equal((error as { code?: string }).code, 'SLUICE_RATE_LIMITED');
        }
      }
      assert.equal(served, 10);
      assert.equal(f.mocks.mock?.stats.chat, 10);

      const a = new ProviderLimiter(backendRateLimitStore(one) ?? assert.fail(), { scope: 'provider:x', rpm: 60 });
      const b = new ProviderLimiter(backendRateLimitStore(two) ?? assert.fail(), { scope: 'provider:x', rpm: 60 });
      await a.rateLimited(5_000);
      const seen = await b.state();
      assert.equal(seen.factor, 0.5);
      assert.equal(seen.blockedUntil, clock.now() + 5_000);
      assert.equal((await b.tryAcquire(0)).granted, false);
      await b.succeeded();
      assert.equal((await a.state()).factor, 0.55);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  test('two worker processes on one SQLite file together stay within the limit', async () => {
    const path = join(temp.dir, 'fleet.db');
    // Create the schema first, so that the children do not race to migrate.
    await (await SqliteBackend.open({ path })).close();
    const child = () =>
      run(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'budget-child.ts'), path, f.mocks.mock?.url ?? '', '15'],
        {
          timeout: 60_000,
        },
      );
    const results = await Promise.all([child(), child()]);
    const counts = results.map(({ stdout }) => JSON.parse(stdout.trim()) as { served: number; limited: number });
    assert.equal(
      counts.reduce((sum, c) => sum + c.served, 0),
      10,
      JSON.stringify(counts),
    );
    assert.equal(
      counts.reduce((sum, c) => sum + c.limited, 0),
      20,
    );
    assert.equal(f.mocks.mock?.stats.chat, 10);
  });

  test('the memory fake backend keeps budgets too; backends that do not declare rateBudgets give no store', async () => {
    const backend = new MemoryBackend({ clock: new FakeClock() });
    const limiter = new ProviderLimiter(backendRateLimitStore(backend) ?? assert.fail(), { scope: 'provider:y', rpm: 6 });
    assert.equal((await limiter.tryAcquire(0)).granted, true);
    assert.equal((await limiter.tryAcquire(0)).granted, false);
    assert.equal(backendRateLimitStore({ capabilities: {} }), undefined);
    assert.equal(
      backendRateLimitStore({ capabilities: { rateBudgets: false }, updateRateBudget: backend.updateRateBudget }),
      undefined,
    );
    assert.ok(new MemoryRateLimitStore());
    await backend.close();
  });
});
