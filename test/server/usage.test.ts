import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../../src/core/clock.js';
import type { UsageEntry } from '../../src/core/usage.js';
import { buildApp } from '../../src/server/app.js';
import type { ApiKey } from '../../src/server/auth.js';
import { Sluice } from '../../src/sluice.js';
import { MemoryBackend } from '../helpers/memory-backend.js';
import { type AppFixture, errorOf, startApp } from './app-fixture.js';

const KEYS = new Map<string, ApiKey>([
  ['key-a', { tenant: 'a', admin: false }],
  ['key-b', { tenant: 'b', admin: false }],
  ['key-admin', { tenant: 'ops', admin: true }],
]);
const as = (key: string) => ({ authorization: `Bearer ${key}` });

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3600_000;
const entry = (overrides: Partial<UsageEntry>): UsageEntry => ({
  jobId: 'job',
  queue: 'q1',
  type: 'chat',
  provider: 'p1',
  model: 'm',
  inputTokens: 10,
  outputTokens: 2,
  costUsd: 0.5,
  at: T0,
  ...overrides,
});

describe('GET /v1/usage', () => {
  let fx: AppFixture;

  before(async () => {
    fx = await startApp({ apiKeys: KEYS });
    await fx.sluice.backend.recordUsage?.({
      entries: [
        entry({ tenant: 'a' }),
        entry({ tenant: 'a', queue: 'q2', type: 'embed', model: 'e', outputTokens: 0, at: T0 + HOUR }),
        entry({ tenant: 'b', provider: 'p2', inputTokens: 100, outputTokens: 50, costUsd: 0.25, at: T0 + 2 * HOUR }),
      ],
    });
  });
  after(() => fx.close());

  const get = (url: string, key = 'key-admin') => fx.app.inject({ url, headers: as(key) });

  test('admin sees every tenant, with breakdowns', async () => {
    const res = await get('/v1/usage');
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.inputTokens, 120);
    assert.equal(body.outputTokens, 52);
    assert.equal(body.totalTokens, 172);
    assert.equal(body.costUsd, 1.25);
    assert.equal(body.calls, 3);
    assert.deepEqual(
      body.byTenant.map((t: { tenant: string; calls: number }) => [t.tenant, t.calls]),
      [
        ['a', 2],
        ['b', 1],
      ],
    );
    assert.deepEqual(
      body.byQueue.map((q: { queue: string }) => q.queue),
      ['q1', 'q2'],
    );
    assert.deepEqual(
      body.byProvider.map((p: { provider: string; totalTokens: number }) => [p.provider, p.totalTokens]),
      [
        ['p1', 22],
        ['p2', 150],
      ],
    );
    assert.deepEqual(
      body.byModel.map((m: { model: string }) => m.model),
      ['e', 'm'],
    );
  });

  test('admin filters by tenant and queue', async () => {
    const b = (await get('/v1/usage?tenant=b')).json();
    assert.equal(b.calls, 1);
    assert.equal(b.byTenant, undefined);
    const q2 = (await get('/v1/usage?queue=q2')).json();
    assert.equal(q2.calls, 1);
    assert.equal(q2.inputTokens, 10);
  });

  test('a tenant key sees only its own usage and may not name another tenant', async () => {
    const own = await get('/v1/usage', 'key-a');
    assert.equal(own.statusCode, 200);
    assert.equal(own.json().calls, 2);
    assert.equal(own.json().costUsd, 1);
    assert.equal(own.json().byTenant, undefined);
    assert.equal((await get('/v1/usage?tenant=a', 'key-a')).json().calls, 2);
    const other = await get('/v1/usage?tenant=b', 'key-a');
    assert.equal(other.statusCode, 403);
    assert.equal(errorOf(other).code, 'SLUICE_FORBIDDEN');
    assert.equal(errorOf(other).field, 'tenant');
    assert.equal((await fx.app.inject({ url: '/v1/usage' })).statusCode, 401);
  });

  test('since / until as ISO 8601 or epoch ms (since inclusive, until exclusive)', async () => {
    const iso = (await get(`/v1/usage?since=${encodeURIComponent(new Date(T0 + HOUR).toISOString())}`)).json();
    assert.equal(iso.calls, 2);
    assert.equal(iso.since, new Date(T0 + HOUR).toISOString());
    const ms = (await get(`/v1/usage?since=${T0}&until=${T0 + 2 * HOUR}`)).json();
    assert.equal(ms.calls, 2);
    assert.equal(ms.until, new Date(T0 + 2 * HOUR).toISOString());
    assert.equal((await get(`/v1/usage?since=${T0 + 3 * HOUR}`)).json().calls, 0);
  });

  test('bad parameters: 400 naming the field', async () => {
    for (const [query, field] of [
      ['since=yesterday', 'since'],
      ['until=2026-13-45T00:00:00Z', 'until'],
      ['since=-5', 'since'],
      ['queue=', 'queue'],
      ['bogus=1', 'bogus'],
      [`since=${T0 + 1}&until=${T0}`, 'until'],
    ] as const) {
      const res = await get(`/v1/usage?${query}`);
      assert.equal(res.statusCode, 400, query);
      assert.equal(errorOf(res).code, 'SLUICE_VALIDATION', query);
      assert.equal(errorOf(res).field, field, query);
    }
  });

  test('is documented in /openapi.json', async () => {
    const doc = (await fx.app.inject({ url: '/openapi.json' })).json();
    const operation = doc.paths['/v1/usage']?.get;
    assert.ok(operation, 'GET /v1/usage is documented');
    assert.deepEqual(
      operation.parameters.map((p: { name: string }) => p.name),
      ['queue', 'tenant', 'since', 'until'],
    );
    assert.ok(operation.responses['501']);
    assert.ok(doc.components.schemas.UsageTotals);
  });
});

describe('GET /v1/usage on a backend without usage', () => {
  test('501 SLUICE_NOT_SUPPORTED with a clear message', async () => {
    const backend = new MemoryBackend({ clock: systemClock });
    (backend.capabilities as { usage?: boolean }).usage = false;
    const sluice = Sluice.fromBackend(backend);
    const app = await buildApp({ sluice });
    try {
      const res = await app.inject({ url: '/v1/usage' });
      assert.equal(res.statusCode, 501);
      assert.equal(errorOf(res).code, 'SLUICE_NOT_SUPPORTED');
      assert.match(errorOf(res).message, /does not keep token usage/);
    } finally {
      await app.close();
      await sluice.close();
    }
  });
});
