import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, SluiceError } from '../../src/core/errors.js';
import { buildApp } from '../../src/server/app.js';
import { HTTP_STATUS_BY_CODE, httpStatusFor, toHttpError } from '../../src/server/http-errors.js';
import { Sluice } from '../../src/sluice.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { MemoryBackend } from '../helpers/memory-backend.js';
import { type AppFixture, errorOf, jobOf, nextLongPoll, startApp, submit } from './app-fixture.js';

/** A math input the handler can run (the API checks input against the handler's schema). */
const Q = { question: 'What is 1 plus 1?' };

interface OpenApi {
  openapi: string;
  paths: Record<
    string,
    Record<string, { requestBody?: unknown; responses: Record<string, unknown>; parameters: Array<{ name: string }> }>
  >;
  components: { schemas: Record<string, unknown> };
}

describe('health, metrics and the OpenAPI document', () => {
  let fx: AppFixture;
  before(async () => {
    fx = await startApp();
  });
  after(() => fx.close());

  test('/healthz and /readyz answer 200 when the backend is up', async () => {
    const health = await fx.app.inject({ url: '/healthz' });
    assert.deepEqual(health.json(), { status: 'ok' });
    const ready = await fx.app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready' });
  });

  test('/openapi.json is OpenAPI 3.1, lists every route, and takes its schemas from the core zod schemas', async () => {
    const res = await fx.app.inject({ url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as OpenApi;
    assert.equal(doc.openapi, '3.1.0');
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    assert.deepEqual(routes.sort(), [
      'DELETE /v1/webhooks/{id}',
      'GET /healthz',
      'GET /metrics',
      'GET /openapi.json',
      'GET /readyz',
      'GET /v1/dlq',
      'GET /v1/events',
      'GET /v1/jobs',
      'GET /v1/jobs/{id}',
      'GET /v1/jobs/{id}/deliveries',
      'GET /v1/jobs/{id}/events',
      'GET /v1/jobs/{id}/output',
      'GET /v1/queues',
      'GET /v1/usage',
      'GET /v1/webhooks',
      'GET /v1/ws',
      'POST /v1/dlq/redrive',
      'POST /v1/jobs',
      'POST /v1/jobs/bulk',
      'POST /v1/jobs/{id}/cancel',
      'POST /v1/jobs/{id}/deliveries/{deliveryId}/retry',
      'POST /v1/queues/{name}/pause',
      'POST /v1/queues/{name}/resume',
      'POST /v1/webhooks',
      'POST /v1/webhooks/secret/rotate',
    ]);
    // Each documented route is a real one (the document is built from the registered routes).
    for (const route of routes) {
      const [method, path] = route.split(' ') as ['GET' | 'POST' | 'DELETE', string];
      assert.ok(fx.app.hasRoute({ method, url: path.replace(/\{(\w+)\}/g, ':$1') }), route);
    }

    const schemas = doc.components.schemas;
    for (const name of ['JobSpec', 'BulkSpec', 'Job', 'JobPage', 'Error', 'QueueList', 'RedriveRequest'])
      assert.ok(schemas[name], name);
    const jobSpec = schemas.JobSpec as { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
    assert.deepEqual(jobSpec.required, ['type']);
    assert.equal(jobSpec.additionalProperties, false);
    assert.deepEqual(jobSpec.properties.priority, {
      description: 'Higher runs first (default 0)',
      type: 'integer',
      minimum: -1000,
      maximum: 1000,
    });
    assert.deepEqual(doc.paths['/v1/jobs']?.post?.requestBody, {
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/JobSpec' } } },
    });
    assert.deepEqual(
      doc.paths['/v1/jobs']?.get?.parameters.map((p) => p.name),
      ['queue', 'status', 'type', 'limit', 'cursor', 'include'],
    );
    assert.ok(doc.paths['/v1/jobs/{id}']?.get?.responses['404']);
    // Every $ref points at a component that exists.
    for (const ref of res.body.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(schemas[ref[1] ?? ''], ref[1]);
  });

  test('/metrics has Sluice counters and gauges in the Prometheus text format', async () => {
    const job = jobOf(await submit(fx.app, { type: 'math', input: Q, queue: 'metered' }));
    await fx.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel` });
    await fx.app.inject({ method: 'POST', url: '/v1/queues/metered/pause' });
    const res = await fx.app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    const text = res.body;
    assert.match(text, /^sluice_jobs_enqueued_total\{queue="metered"\} 1$/m);
    assert.match(text, /^sluice_jobs_finished_total\{queue="metered",type="math",status="cancelled"\} 1$/m);
    assert.match(text, /^sluice_jobs\{queue="metered",state="cancelled"\} 1$/m);
    assert.match(text, /^sluice_jobs\{queue="metered",state="queued"\} 0$/m);
    assert.match(text, /^sluice_queue_paused\{queue="metered"\} 1$/m);
    assert.match(text, /^sluice_queue_oldest_queued_age_seconds\{queue="metered"\} 0$/m);
    assert.match(text, /^sluice_http_request_duration_seconds_count\{method="POST",route="\/v1\/jobs",status="202"\} 1$/m);
    assert.match(text, /^sluice_process_cpu_user_seconds_total /m);
  });

  test('closing the app ends a pending long-poll with the current job', async () => {
    const job = jobOf(await submit(fx.app, { type: 'math', input: Q, queue: 'nobody-works-here' }));
    const waiting = nextLongPoll(fx.sluice);
    const poll = fx.app.inject({ url: `/v1/jobs/${job.id}?wait=60` });
    await waiting;
    await fx.app.close();
    const res = await poll;
    assert.equal(res.statusCode, 200);
    assert.equal(jobOf(res).status, 'queued');
  });
});

describe('backend failures', () => {
  const backend = new MemoryBackend({ clock: new FakeClock() });
  const sluice = Sluice.fromBackend(backend);
  const logged: unknown[] = [];
  after(() => sluice.close());

  test('/readyz is 503 when the backend does not answer a ping', async () => {
    const app = await buildApp({ sluice, metrics: undefined });
    backend.ping = async () => {
      throw new Error('disk on fire');
    };
    const res = await app.inject({ url: '/readyz' });
    assert.equal(res.statusCode, 503);
    assert.equal(errorOf(res).code, 'SLUICE_BACKEND_UNAVAILABLE');
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
    await app.close();
  });

  test('an unexpected error is a 500 with a generic message; the real one is only logged', async () => {
    const stream = { write: (line: string) => logged.push(JSON.parse(line)) };
    const app = await buildApp({ sluice, logger: { level: 'error', stream } });
    backend.list = async () => {
      throw new Error('SQLITE_CORRUPT: secret path /var/lib/x');
    };
    const res = await app.inject({ url: '/v1/jobs' });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { error: { code: 'SLUICE_INTERNAL', message: 'internal server error' } });
    assert.ok(JSON.stringify(logged).includes('SQLITE_CORRUPT'));
    backend.list = async () => {
      throw new SluiceError(ErrorCodes.backendUnavailable, 'database is locked');
    };
    const unavailable = await app.inject({ url: '/v1/jobs' });
    assert.equal(unavailable.statusCode, 503);
    assert.equal(errorOf(unavailable).code, 'SLUICE_BACKEND_UNAVAILABLE');
    await app.close();
  });
});

describe('the code → status table', () => {
  test('maps every client error code and defaults to 500', () => {
    assert.equal(httpStatusFor('SLUICE_VALIDATION'), 400);
    assert.equal(httpStatusFor('SLUICE_INVALID_JSON'), 400);
    assert.equal(httpStatusFor('SLUICE_UNKNOWN_TYPE'), 400);
    assert.equal(httpStatusFor('SLUICE_UNAUTHORIZED'), 401);
    assert.equal(httpStatusFor('SLUICE_FORBIDDEN'), 403);
    assert.equal(httpStatusFor('SLUICE_NOT_FOUND'), 404);
    assert.equal(httpStatusFor('SLUICE_CONFLICT'), 409);
    assert.equal(httpStatusFor('SLUICE_NOT_READY'), 409);
    assert.equal(httpStatusFor('SLUICE_PAYLOAD_TOO_LARGE'), 413);
    assert.equal(httpStatusFor('SLUICE_REQUEST_TIMEOUT'), 408);
    assert.equal(httpStatusFor('SLUICE_HEADERS_TOO_LARGE'), 431);
    assert.equal(httpStatusFor('SLUICE_UNSUPPORTED_MEDIA_TYPE'), 415);
    assert.equal(httpStatusFor('SLUICE_SHUTTING_DOWN'), 503);
    assert.equal(httpStatusFor('SLUICE_BACKEND_UNAVAILABLE'), 503);
    assert.equal(httpStatusFor('SLUICE_LEASE_LOST'), 500);
    assert.equal(httpStatusFor('anything'), 500);
    assert.ok(Object.values(HTTP_STATUS_BY_CODE).every((s) => s >= 400));
  });

  test('a SluiceError with an unmapped code does not leak its message', () => {
    const { status, body } = toHttpError(new SluiceError(ErrorCodes.leaseLost, 'lease token abc'));
    assert.equal(status, 500);
    assert.deepEqual(body, { error: { code: 'SLUICE_INTERNAL', message: 'internal server error' } });
  });
});
