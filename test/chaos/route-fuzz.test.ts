import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { buildApp } from '../../src/server/app.js';
import { Sluice } from '../../src/sluice.js';
import { dropRedisPrefix } from '../helpers/redis-prefix.js';
import { serviceSkipReason } from '../helpers/require-service.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { nastyBody, nastyString, nastyValue, urlPart } from './route-arbitraries.js';

/**
 * Every route of /openapi.json, fuzzed with fast-check: path parameters, queries, headers and
 * bodies built from nasty values. Whatever comes in, the answer is below 500, every 4xx has the
 * error shape, and a rejected request changes nothing (the jobs and queues read the same after).
 */

const PG_URL = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.SLUICE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  bodyFields: string[] | undefined;
  headers: string[];
}

interface BodySchema {
  $ref?: string;
  properties?: Record<string, unknown>;
}

interface OpenApiDoc {
  components?: { schemas?: Record<string, BodySchema> };
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ name: string; in: string }>;
        requestBody?: { content?: Record<string, { schema?: BodySchema }> };
      }
    >
  >;
}

function operationsOf(doc: OpenApiDoc): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => {
      const params = op.parameters ?? [];
      const byPlace = (place: string) => params.filter((p) => p.in === place).map((p) => p.name);
      const named = op.requestBody?.content?.['application/json']?.schema;
      const schema = named?.$ref ? doc.components?.schemas?.[named.$ref.split('/').pop()!] : named;
      return {
        method: method.toUpperCase(),
        path,
        pathParams: byPlace('path'),
        queryParams: byPlace('query'),
        headers: byPlace('header'),
        bodyFields: op.requestBody ? Object.keys(schema?.properties ?? {}) : undefined,
      };
    }),
  );
}

function requestFor(op: Operation): fc.Arbitrary<InjectOptions> {
  const pathValues = fc.tuple(...op.pathParams.map(() => urlPart));
  const queryValue = fc.oneof(
    nastyString,
    nastyValue.map((v) => JSON.stringify(v) ?? ''),
    fc.constantFrom('0', '1', '60', '1e309', '-1'),
  );
  const query = fc.dictionary(
    fc.constantFrom(...op.queryParams, 'limit', 'cursor', 'unknown'),
    fc.oneof(queryValue, fc.array(queryValue, { maxLength: 3 })),
    {
      maxKeys: 4,
    },
  );
  const header = fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 300 }), fc.constantFrom('', ' ', 'a'.repeat(300)));
  const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', undefined);
  return fc
    .record({
      pathValues,
      query,
      body: op.bodyFields ? nastyBody(op.bodyFields) : fc.constant(undefined),
      headerValues: fc.tuple(...op.headers.map(() => fc.option(header))),
      contentType,
    })
    .map(({ pathValues, query, body, headerValues, contentType }) => {
      let url = op.path;
      op.pathParams.forEach((name, i) => {
        url = url.replace(`{${name}}`, pathValues[i] ?? '');
      });
      const search = Object.entries(query)
        .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one) => `${encodeURIComponent(k)}=${encodeLooselyValue(one)}`))
        .join('&');
      const headers: Record<string, string> = {};
      op.headers.forEach((name, i) => {
        const value = headerValues[i];
        if (value !== null && value !== undefined) headers[name.toLowerCase()] = value;
      });
      if (body !== undefined && contentType !== undefined) headers['content-type'] = contentType;
      return {
        method: op.method as NonNullable<InjectOptions['method']>,
        url: search ? `${url}?${search}` : url,
        headers,
        ...(body === undefined ? {} : { payload: body }),
      };
    });
}

function encodeLooselyValue(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ed%a0%80';
  }
}

/** What a rejected request must leave as it was: every job (id, status, attempts) and the queues. */
async function snapshot(app: FastifyInstance, sluice: Sluice): Promise<string> {
  const jobs = await sluice.list({ limit: 1000 });
  const queues = (await app.inject({ method: 'GET', url: '/v1/queues' })).json() as {
    queues: Array<Record<string, unknown>>;
  };
  // The lag (oldestQueuedAgeMs) grows by itself: everything else of a queue must stay as it was.
  const steady = queues.queues.map(({ oldestQueuedAgeMs: _lag, ...rest }) => rest);
  return JSON.stringify([jobs.jobs.map((j) => [j.id, j.status, j.attempts]), steady]);
}

interface Target {
  name: string;
  runs: number;
  skip?: string | undefined;
  open(): Promise<{ sluice: Sluice; cleanup(): Promise<void> }>;
}

const pgSkip = await serviceSkipReason('PostgreSQL', PG_URL, async () => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  await client.end();
});
const redisSkip = await serviceSkipReason('Redis', REDIS_URL, async () => {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.quit();
});

const TARGETS: Target[] = [
  {
    name: 'sqlite',
    runs: 60,
    async open() {
      const temp = makeTempDir('sluice-fuzz-');
      const sluice = await Sluice.connect(`sqlite:${join(temp.dir, 'fuzz.db')}`);
      return { sluice, cleanup: async () => temp.cleanup() };
    },
  },
  {
    name: 'postgres',
    runs: 15,
    skip: pgSkip,
    async open() {
      const schema = `sluice_fuzz_${randomBytes(6).toString('hex')}`;
      const sluice = await Sluice.connect(`${PG_URL}?schema=${schema}`);
      return {
        sluice,
        async cleanup() {
          const client = new pg.Client({ connectionString: PG_URL });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await client.end();
        },
      };
    },
  },
  {
    name: 'redis',
    runs: 15,
    skip: redisSkip,
    async open() {
      const prefix = `fuzz${randomBytes(6).toString('hex')}`;
      const sluice = await Sluice.connect(`${REDIS_URL}?prefix=${prefix}`);
      return { sluice, cleanup: () => dropRedisPrefix(REDIS_URL, prefix) };
    },
  },
];

for (const target of TARGETS) {
  describe(`route fuzz (${target.name})`, { skip: target.skip }, () => {
    let app: FastifyInstance;
    let sluice: Sluice;
    let cleanup: () => Promise<void>;
    let operations: Operation[] = [];

    before(async () => {
      ({ sluice, cleanup } = await target.open());
      app = await buildApp({ sluice, allowedTypes: new Set(['noop', 'math']), maxWaitSeconds: 1 });
      // One job of each end state the routes act on, so that cancel, output and redrive meet real rows.
      await sluice.enqueue({ type: 'noop', input: {} });
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApiDoc;
      operations = operationsOf(doc);
    });
    after(async () => {
      await app.close();
      await sluice.close({ graceMs: 0 });
      await cleanup();
    });

    test('the document lists the routes to fuzz', () => {
      assert.ok(operations.length >= 10, `only ${operations.length} operations in /openapi.json`);
      assert.ok(operations.some((op) => op.method === 'POST' && op.path === '/v1/jobs' && op.bodyFields?.includes('type')));
    });

    test('every route: no answer of 500 or more, 4xx with the error shape, a rejected request stores nothing', async () => {
      for (const op of operations) {
        if (process.env.FUZZ_DEBUG) process.stderr.write(`fuzz ${op.method} ${op.path}\n`);
        await fc.assert(
          fc.asyncProperty(requestFor(op), async (request) => {
            const before = await snapshot(app, sluice);
            const response = await app.inject(request);
            const what = `${request.method} ${request.url} ${String(request.payload ?? '').slice(0, 200)} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
            assert.ok(response.statusCode < 500, `server error: ${what}`);
            if (response.statusCode >= 400) {
              const error = (response.json() as { error?: { code?: unknown; message?: unknown; field?: unknown } }).error;
              assert.equal(typeof error?.code, 'string', `no error code: ${what}`);
              assert.match(String(error?.code), /^SLUICE_[A-Z_]+$/, `error code is not a SLUICE_ code: ${what}`);
              assert.equal(typeof error?.message, 'string', `no error message: ${what}`);
              assert.ok(error?.field === undefined || typeof error.field === 'string', `field is not a string: ${what}`);
              assert.equal(await snapshot(app, sluice), before, `a rejected request changed the store: ${what}`);
            }
          }),
          { numRuns: Number(process.env.FUZZ_RUNS ?? target.runs), endOnFailure: true },
        );
      }
    });
  });
}
