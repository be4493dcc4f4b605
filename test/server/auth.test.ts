import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PermanentError } from '../../src/core/errors.js';
import type { JobJson } from '../../src/core/job-json.js';
import type { ApiKey } from '../../src/server/auth.js';
import { type AppFixture, errorOf, jobOf, startApp, submit } from './app-fixture.js';

/** A math input the handler can run (the API checks input against the handler's schema). */
const Q = { question: 'What is 1 plus 1?' };

const KEYS = new Map<string, ApiKey>([
  ['key-a', { tenant: 'a', admin: false }],
  ['key-b', { tenant: 'b', admin: false }],
  ['key-admin', { tenant: 'ops', admin: true }],
]);
const as = (key: string) => ({ authorization: `Bearer ${key}` });

describe('API keys and tenants', () => {
  let fx: AppFixture;
  let jobA: JobJson;
  let failedA: JobJson;

  before(async () => {
    fx = await startApp({ apiKeys: KEYS });
    const worker = fx.sluice.worker({
      queues: ['poison'],
      handlers: {
        boom: () => {
          throw new PermanentError('no');
        },
      },
    });
    await worker.start();
    jobA = jobOf(await submit(fx.app, { type: 'math', input: Q, queue: 'shared' }, as('key-a')));
    const failing = jobOf(await submit(fx.app, { type: 'boom', queue: 'poison' }, as('key-a')));
    failedA = jobOf(await fx.app.inject({ url: `/v1/jobs/${failing.id}?wait=30`, headers: as('key-a') }));
    assert.equal(failedA.status, 'failed');
  });
  after(() => fx.close());

  test('without a valid key: 401, and nothing is stored', async () => {
    const before = (await fx.sluice.list({ limit: 100 })).jobs.length;
    for (const headers of [{}, as('wrong'), { authorization: 'Basic a2V5LWE6' }, { 'x-api-key': 'key-' }]) {
      const res = await submit(fx.app, { type: 'math', input: Q }, headers);
      assert.equal(res.statusCode, 401);
      assert.equal(errorOf(res).code, 'SLUICE_UNAUTHORIZED');
      assert.equal(res.headers['www-authenticate'], 'Bearer');
    }
    for (const url of ['/v1/jobs', `/v1/jobs/${jobA.id}`, '/v1/queues', '/v1/dlq', '/metrics']) {
      assert.equal((await fx.app.inject({ url })).statusCode, 401, url);
    }
    assert.equal((await fx.sluice.list({ limit: 100 })).jobs.length, before);
  });

  test('probes and the OpenAPI document need no key', async () => {
    for (const url of ['/healthz', '/readyz', '/openapi.json']) {
      assert.equal((await fx.app.inject({ url })).statusCode, 200, url);
    }
  });

  test('X-API-Key works as well as Authorization: Bearer', async () => {
    const res = await fx.app.inject({ url: `/v1/jobs/${jobA.id}`, headers: { 'x-api-key': 'key-a' } });
    assert.equal(res.statusCode, 200);
  });

  test("a job is stored with the caller's tenant and is invisible to other tenants", async () => {
    assert.equal((await fx.sluice.get(jobA.id))?.tenant, 'a');
    for (const req of [
      { method: 'GET' as const, url: `/v1/jobs/${jobA.id}` },
      { method: 'GET' as const, url: `/v1/jobs/${jobA.id}?wait=1` },
      { method: 'GET' as const, url: `/v1/jobs/${jobA.id}/output` },
      { method: 'POST' as const, url: `/v1/jobs/${jobA.id}/cancel` },
    ]) {
      const res = await fx.app.inject({ ...req, headers: as('key-b') });
      assert.equal(res.statusCode, 404, req.url);
      assert.equal(errorOf(res).code, 'SLUICE_NOT_FOUND');
    }
    // B's cancel attempt changed nothing.
    assert.equal((await fx.sluice.get(jobA.id))?.status, 'queued');
  });

  test('lists, queue stats and the DLQ are scoped to the tenant; an admin sees everything', async () => {
    const ids = async (url: string, key: string) =>
      ((await fx.app.inject({ url, headers: as(key) })).json() as { jobs: JobJson[] }).jobs.map((j) => j.id);
    assert.ok((await ids('/v1/jobs', 'key-a')).includes(jobA.id));
    assert.deepEqual(await ids('/v1/jobs', 'key-b'), []);
    assert.ok((await ids('/v1/jobs', 'key-admin')).includes(jobA.id));
    assert.deepEqual(await ids('/v1/dlq', 'key-a'), [failedA.id]);
    assert.deepEqual(await ids('/v1/dlq', 'key-b'), []);
    assert.deepEqual(await ids('/v1/dlq', 'key-admin'), [failedA.id]);

    const queued = async (key: string) => {
      const { queues } = (await fx.app.inject({ url: '/v1/queues', headers: as(key) })).json() as {
        queues: Array<{ name: string; counts: { queued: number } }>;
      };
      return queues.find((q) => q.name === 'shared')?.counts.queued ?? 0;
    };
    assert.equal(await queued('key-a'), 1);
    assert.equal(await queued('key-b'), 0);
    assert.equal(await queued('key-admin'), 1);
  });

  test("another tenant cannot redrive a tenant's failed jobs", async () => {
    const byB = await fx.app.inject({
      method: 'POST',
      url: '/v1/dlq/redrive',
      payload: { ids: [failedA.id] },
      headers: as('key-b'),
    });
    assert.deepEqual(byB.json(), { redriven: 0 });
    assert.equal((await fx.sluice.get(failedA.id))?.status, 'failed');
  });

  test('the same idempotency key in two tenants makes two jobs', async () => {
    const a = await submit(fx.app, { type: 'math', input: Q, queue: 'idem', idempotencyKey: 'same' }, as('key-a'));
    const b = await submit(fx.app, { type: 'math', input: Q, queue: 'idem', idempotencyKey: 'same' }, as('key-b'));
    assert.equal(a.statusCode, 202);
    assert.equal(b.statusCode, 202);
    assert.notEqual(jobOf(a).id, jobOf(b).id);
  });

  test('pause and resume need an admin key (403 otherwise); so does /metrics', async () => {
    const denied = await fx.app.inject({ method: 'POST', url: '/v1/queues/shared/pause', headers: as('key-a') });
    assert.equal(denied.statusCode, 403);
    assert.equal(errorOf(denied).code, 'SLUICE_FORBIDDEN');
    assert.equal((await fx.sluice.stats({ queue: 'shared' }))[0]?.paused, false);
    const metrics = await fx.app.inject({ url: '/metrics', headers: as('key-a') });
    assert.equal(metrics.statusCode, 403);

    const ok = await fx.app.inject({ method: 'POST', url: '/v1/queues/shared/pause', headers: as('key-admin') });
    assert.deepEqual(ok.json(), { name: 'shared', paused: true });
    const resumed = await fx.app.inject({ method: 'POST', url: '/v1/queues/shared/resume', headers: as('key-admin') });
    assert.deepEqual(resumed.json(), { name: 'shared', paused: false });
    assert.equal((await fx.app.inject({ url: '/metrics', headers: as('key-admin') })).statusCode, 200);
  });
});
