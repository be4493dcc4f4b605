import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { type AppFixture, errorOf, startApp } from './app-fixture.js';

/** A math input the handler can run (the API checks input against the handler's schema). */
const Q = { question: 'What is 1 plus 1?' };

/** One bad request and the answer it must get. `field: null` = the error names no field. */
interface Case {
  name: string;
  request: InjectOptions;
  status: number;
  code: string;
  field: string | null;
}

const json = { 'content-type': 'application/json' };
const post = (url: string, payload: unknown, headers: Record<string, string> = {}): InjectOptions => ({
  method: 'POST',
  url,
  payload: JSON.stringify(payload),
  headers: { ...json, ...headers },
});
const raw = (payload: string, headers: Record<string, string> = json): InjectOptions => ({
  method: 'POST',
  url: '/v1/jobs',
  payload,
  headers,
});
const get = (url: string): InjectOptions => ({ method: 'GET', url });
const ID = '0190a0a0-0000-7000-8000-000000000000';
const YEAR_MS = 365 * 24 * 3600 * 1000;

/** `{a: {a: … null}}`, `depth` objects deep. */
function nested(depth: number): unknown {
  let value: unknown = null;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

const CASES: Case[] = [
  // Not JSON, not an object, not JSON at all.
  { name: 'malformed JSON', request: raw('{"type": "math",'), status: 400, code: 'SLUICE_INVALID_JSON', field: null },
  {
    name: 'prototype poisoning',
    request: raw('{"type":"math","__proto__":{"admin":true}}'),
    status: 400,
    code: 'SLUICE_INVALID_JSON',
    field: null,
  },
  { name: 'empty body', request: raw(''), status: 400, code: 'SLUICE_VALIDATION', field: null },
  { name: 'array body', request: raw('[{"type":"math"}]'), status: 400, code: 'SLUICE_VALIDATION', field: null },
  { name: 'string body', request: raw('"math"'), status: 400, code: 'SLUICE_VALIDATION', field: null },
  { name: 'null body', request: raw('null'), status: 400, code: 'SLUICE_VALIDATION', field: null },
  {
    name: 'text/plain',
    request: raw('{"type":"math"}', { 'content-type': 'text/plain' }),
    status: 415,
    code: 'SLUICE_UNSUPPORTED_MEDIA_TYPE',
    field: null,
  },
  {
    name: 'form encoded',
    request: raw('type=math', { 'content-type': 'application/x-www-form-urlencoded' }),
    status: 415,
    code: 'SLUICE_UNSUPPORTED_MEDIA_TYPE',
    field: null,
  },
  {
    name: 'body over the limit',
    request: post('/v1/jobs', { type: 'math', input: 'x'.repeat(5000) }),
    status: 413,
    code: 'SLUICE_PAYLOAD_TOO_LARGE',
    field: null,
  },
  // Fields of the job spec.
  { name: 'missing type', request: post('/v1/jobs', { input: {} }), status: 400, code: 'SLUICE_VALIDATION', field: 'type' },
  { name: 'type not a string', request: post('/v1/jobs', { type: 5 }), status: 400, code: 'SLUICE_VALIDATION', field: 'type' },
  {
    name: 'type with spaces',
    request: post('/v1/jobs', { type: 'rm -rf' }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'type',
  },
  { name: 'unknown type', request: post('/v1/jobs', { type: 'nope' }), status: 400, code: 'SLUICE_UNKNOWN_TYPE', field: 'type' },
  {
    name: 'priority a string',
    request: post('/v1/jobs', { type: 'math', input: Q, priority: 'high' }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'priority',
  },
  {
    name: 'priority too high',
    request: post('/v1/jobs', { type: 'math', input: Q, priority: 1001 }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'priority',
  },
  {
    name: 'priority too low',
    request: post('/v1/jobs', { type: 'math', input: Q, priority: -1001 }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'priority',
  },
  {
    name: 'priority fractional',
    request: post('/v1/jobs', { type: 'math', input: Q, priority: 1.5 }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'priority',
  },
  {
    name: 'delayMs and runAt',
    request: post('/v1/jobs', { type: 'math', input: Q, delayMs: 10, runAt: 1 }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'runAt',
  },
  {
    name: 'runAt not a date',
    request: post('/v1/jobs', { type: 'math', input: Q, runAt: 'tomorrow' }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'runAt',
  },
  {
    name: 'negative delay',
    request: post('/v1/jobs', { type: 'math', input: Q, delayMs: -1 }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'delayMs',
  },
  {
    name: 'maxAttempts 0',
    request: post('/v1/jobs', { type: 'math', input: Q, maxAttempts: 0 }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'maxAttempts',
  },
  {
    name: 'bad queue name',
    request: post('/v1/jobs', { type: 'math', input: Q, queue: '../etc' }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'queue',
  },
  {
    name: 'metadata an array',
    request: post('/v1/jobs', { type: 'math', input: Q, metadata: [] }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'metadata',
  },
  {
    name: 'bad backoff type',
    request: post('/v1/jobs', { type: 'math', input: Q, backoff: { type: 'linear' } }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'backoff.type',
  },
  {
    name: 'unknown backoff field',
    request: post('/v1/jobs', { type: 'math', input: Q, backoff: { base: 1 } }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'backoff.base',
  },
  {
    name: 'unknown field',
    request: post('/v1/jobs', { type: 'math', input: Q, prio: 1 }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'prio',
  },
  {
    name: 'empty idempotency key',
    request: post('/v1/jobs', { type: 'math', input: Q, idempotencyKey: '' }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'idempotencyKey',
  },
  {
    name: 'Idempotency-Key header too long',
    request: post('/v1/jobs', { type: 'math', input: Q }, { 'idempotency-key': 'k'.repeat(256) }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'Idempotency-Key',
  },
  // Free-form JSON is bounded and clean (input, metadata), and so is every key-like string.
  {
    name: 'input nested too deep',
    request: post('/v1/jobs', { type: 'math', input: nested(200) }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: `input${'.a'.repeat(66)}`,
  },
  {
    name: 'metadata nested past the limit',
    request: post('/v1/jobs', { type: 'math', input: Q, metadata: { a: nested(64) } }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: `metadata${'.a'.repeat(64)}`,
  },
  {
    name: 'a number beyond double range (1e309)',
    request: raw('{"type":"math","input":{"x":[1,1e309]}}'),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'input.x.1',
  },
  {
    name: 'NUL in an input string',
    request: post('/v1/jobs', { type: 'math', input: { question: 'a\u0000b' } }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'input.question',
  },
  {
    name: 'lone surrogate in an input string',
    request: post('/v1/jobs', { type: 'math', input: ['\uD800'] }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'input.0',
  },
  {
    name: 'NUL in a metadata key',
    request: post('/v1/jobs', { type: 'math', input: Q, metadata: { 'a\u0000': 1 } }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'metadata',
  },
  {
    name: 'NUL in the idempotency key',
    request: post('/v1/jobs', { type: 'math', input: Q, idempotencyKey: 'k\u0000' }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'idempotencyKey',
  },
  {
    name: 'lone surrogate in the idempotency key',
    request: post('/v1/jobs', { type: 'math', input: Q, idempotencyKey: 'k\uDC00' }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'idempotencyKey',
  },
  // Times.
  {
    name: 'runAt beyond what a Date holds',
    request: post('/v1/jobs', { type: 'math', input: Q, runAt: 9e15 }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'runAt',
  },
  {
    name: 'runAt more than a year ahead',
    request: post('/v1/jobs', { type: 'math', input: Q, runAt: Date.now() + 2 * YEAR_MS }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'runAt',
  },
  {
    name: 'runAt more than a year ago (ISO)',
    request: post('/v1/jobs', { type: 'math', input: Q, runAt: '1999-01-01T00:00:00Z' }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'runAt',
  },
  {
    name: 'runAt on a day that does not exist',
    request: post('/v1/jobs', { type: 'math', input: Q, runAt: '2026-02-31T00:00:00Z' }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'runAt',
  },
  // Bulk.
  {
    name: 'bulk with one job nested too deep',
    request: post('/v1/jobs/bulk', { jobs: [{ type: 'math' }, { type: 'math', input: { a: nested(64) } }] }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: `jobs.1.input${'.a'.repeat(64)}`,
  },
  { name: 'bulk without jobs', request: post('/v1/jobs/bulk', {}), status: 400, code: 'SLUICE_VALIDATION', field: 'jobs' },
  {
    name: 'bulk jobs not an array',
    request: post('/v1/jobs/bulk', { jobs: {} }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'jobs',
  },
  { name: 'bulk empty', request: post('/v1/jobs/bulk', { jobs: [] }), status: 400, code: 'SLUICE_VALIDATION', field: 'jobs' },
  {
    name: 'bulk with one bad job',
    request: post('/v1/jobs/bulk', {
      jobs: [
        { type: 'math', input: Q },
        { type: 'math', input: Q },
        { type: 'math', input: Q, priority: 'x' },
      ],
    }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'jobs.2.priority',
  },
  {
    name: 'bulk with an unknown type',
    request: post('/v1/jobs/bulk', { jobs: [{ type: 'math', input: Q }, { type: 'nope' }] }),
    status: 400,
    code: 'SLUICE_UNKNOWN_TYPE',
    field: 'jobs.1.type',
  },
  {
    name: 'bulk unknown field',
    request: post('/v1/jobs/bulk', { jobs: [{ type: 'math', input: Q }], all: true }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'all',
  },
  {
    name: 'bulk over 1000',
    request: post('/v1/jobs/bulk', { jobs: Array.from({ length: 1001 }, () => ({ type: 'math', input: Q })) }),
    status: 413,
    code: 'SLUICE_PAYLOAD_TOO_LARGE',
    field: null,
  },
  // Params and query strings.
  { name: 'malformed id', request: get('/v1/jobs/not-an-id'), status: 400, code: 'SLUICE_VALIDATION', field: 'id' },
  {
    name: 'malformed id (cancel)',
    request: { method: 'POST', url: '/v1/jobs/123/cancel' },
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'id',
  },
  { name: 'malformed id (output)', request: get('/v1/jobs/123/output'), status: 400, code: 'SLUICE_VALIDATION', field: 'id' },
  { name: 'bad URL encoding', request: get('/v1/jobs/%E0%A4%A'), status: 400, code: 'SLUICE_VALIDATION', field: null },
  { name: 'wait not a number', request: get(`/v1/jobs/${ID}?wait=soon`), status: 400, code: 'SLUICE_VALIDATION', field: 'wait' },
  { name: 'wait negative', request: get(`/v1/jobs/${ID}?wait=-1`), status: 400, code: 'SLUICE_VALIDATION', field: 'wait' },
  {
    name: 'wait over the maximum',
    request: get(`/v1/jobs/${ID}?wait=61`),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'wait',
  },
  { name: 'wait in hex', request: get(`/v1/jobs/${ID}?wait=0x10`), status: 400, code: 'SLUICE_VALIDATION', field: 'wait' },
  { name: 'wait with spaces', request: get(`/v1/jobs/${ID}?wait=%201`), status: 400, code: 'SLUICE_VALIDATION', field: 'wait' },
  { name: 'limit in hex', request: get('/v1/jobs?limit=0x10'), status: 400, code: 'SLUICE_VALIDATION', field: 'limit' },
  { name: 'limit as 1e2', request: get('/v1/jobs?limit=1e2'), status: 400, code: 'SLUICE_VALIDATION', field: 'limit' },
  { name: 'NUL in a cursor', request: get('/v1/jobs?cursor=a%00b'), status: 400, code: 'SLUICE_VALIDATION', field: 'cursor' },
  { name: 'limit 0', request: get('/v1/jobs?limit=0'), status: 400, code: 'SLUICE_VALIDATION', field: 'limit' },
  { name: 'limit 1001', request: get('/v1/jobs?limit=1001'), status: 400, code: 'SLUICE_VALIDATION', field: 'limit' },
  { name: 'limit not a number', request: get('/v1/jobs?limit=ten'), status: 400, code: 'SLUICE_VALIDATION', field: 'limit' },
  { name: 'limit twice', request: get('/v1/jobs?limit=1&limit=2'), status: 400, code: 'SLUICE_VALIDATION', field: 'limit' },
  { name: 'bad status', request: get('/v1/jobs?status=done'), status: 400, code: 'SLUICE_VALIDATION', field: 'status' },
  { name: 'bad queue filter', request: get('/v1/jobs?queue=a%20b'), status: 400, code: 'SLUICE_VALIDATION', field: 'queue' },
  { name: 'unknown query parameter', request: get('/v1/jobs?sort=asc'), status: 400, code: 'SLUICE_VALIDATION', field: 'sort' },
  { name: 'empty cursor', request: get('/v1/jobs?cursor='), status: 400, code: 'SLUICE_VALIDATION', field: 'cursor' },
  { name: 'status on the DLQ', request: get('/v1/dlq?status=queued'), status: 400, code: 'SLUICE_VALIDATION', field: 'status' },
  { name: 'DLQ limit 0', request: get('/v1/dlq?limit=0'), status: 400, code: 'SLUICE_VALIDATION', field: 'limit' },
  {
    name: 'redrive bad id',
    request: post('/v1/dlq/redrive', { ids: ['x'] }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'ids.0',
  },
  {
    name: 'redrive limit 0',
    request: post('/v1/dlq/redrive', { limit: 0 }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'limit',
  },
  {
    name: 'redrive unknown field',
    request: post('/v1/dlq/redrive', { everything: true }),
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'everything',
  },
  {
    name: 'redrive body null',
    request: { ...raw('null'), url: '/v1/dlq/redrive' },
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: null,
  },
  { name: 'redrive body an array', request: post('/v1/dlq/redrive', []), status: 400, code: 'SLUICE_VALIDATION', field: null },
  {
    name: 'pause a bad queue name',
    request: { method: 'POST', url: '/v1/queues/a%20b/pause' },
    status: 400,
    code: 'SLUICE_VALIDATION',
    field: 'name',
  },
  // Routes.
  { name: 'unknown route', request: get('/v2/jobs'), status: 404, code: 'SLUICE_NOT_FOUND', field: null },
  {
    name: 'wrong method',
    request: { method: 'DELETE', url: `/v1/jobs/${ID}` },
    status: 404,
    code: 'SLUICE_NOT_FOUND',
    field: null,
  },
];

describe('bad input is answered with a clear 4xx and changes nothing', () => {
  let fx: AppFixture;

  before(async () => {
    // A small body limit so the 413 case stays small; 1001 bulk jobs exceed it too.
    fx = await startApp({ allowedTypes: new Set(['math']), bodyLimitBytes: 4096 });
  });
  after(() => fx.close());

  for (const c of CASES) {
    test(c.name, async () => {
      const res = await fx.app.inject(c.request);
      assert.equal(res.statusCode, c.status, res.body);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const error = errorOf(res);
      assert.equal(error.code, c.code);
      assert.ok(error.message.length > 0);
      if (c.field === null) assert.equal(error.field, undefined);
      else assert.equal(error.field, c.field);
      // Nothing was stored and no queue appeared.
      assert.deepEqual((await fx.sluice.list({ limit: 10 })).jobs, []);
      assert.deepEqual(await fx.sluice.stats(), []);
    });
  }

  test('a bulk over the count limit under a large body limit names the field', async () => {
    const big = await startApp({ bodyLimitBytes: 10 * 1024 * 1024 });
    try {
      const res = await big.app.inject(
        post('/v1/jobs/bulk', { jobs: Array.from({ length: 1001 }, () => ({ type: 'math', input: Q })) }),
      );
      assert.equal(res.statusCode, 400);
      assert.equal(errorOf(res).field, 'jobs');
      assert.deepEqual((await big.sluice.list({ limit: 10 })).jobs, []);
    } finally {
      await big.close();
    }
  });

  test('an object with more keys than the limit is refused before any other work', async () => {
    const big = await startApp({ bodyLimitBytes: 10 * 1024 * 1024 });
    try {
      const metadata = Object.fromEntries(Array.from({ length: 90_000 }, (_, i) => [`k${i}`, i]));
      const res = await big.app.inject(post('/v1/jobs', { type: 'math', input: Q, metadata }));
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(errorOf(res).field, 'metadata');
      assert.deepEqual((await big.sluice.list({ limit: 10 })).jobs, []);
    } finally {
      await big.close();
    }
  });

  test('a job id is read in any case: an uppercase spelling names the same job', async () => {
    const created = await fx.app.inject(post('/v1/jobs', { type: 'math', input: Q }));
    assert.equal(created.statusCode, 202);
    const id = (created.json() as { id: string }).id;
    const res = await fx.app.inject(get(`/v1/jobs/${id.toUpperCase()}`));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((res.json() as { id: string }).id, id);
    await fx.sluice.cancel(id);
  });

  test('a valid request still works afterwards', async () => {
    const res = await fx.app.inject(post('/v1/jobs', { type: 'math', input: Q }));
    assert.equal(res.statusCode, 202);
  });
});
