import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { errorResponsesOf } from '../../src/server/route-error-responses.js';
import { type AppFixture, startApp } from './app-fixture.js';

interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}
interface Document {
  info: { license: { name: string; identifier: string }; description: string };
  servers: Array<{ url: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string; in?: string; name?: string }> };
}

const OPEN = ['GET /healthz', 'GET /readyz', 'GET /openapi.json'];
const ADMIN = ['GET /metrics', 'POST /v1/queues/{name}/pause', 'POST /v1/queues/{name}/resume'];
const ERROR_REF = { $ref: '#/components/schemas/Error' };

function operations(doc: Document): Array<[string, Operation]> {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]),
  );
}

describe('/openapi.json as a contract', () => {
  let open: AppFixture;
  let keyed: AppFixture;
  let doc: Document;
  before(async () => {
    open = await startApp();
    keyed = await startApp({ apiKeys: new Map([['tenant-key', { tenant: 't', admin: false }]]) });
    doc = (await open.app.inject({ url: '/openapi.json' })).json() as Document;
  });
  after(async () => {
    await open.close();
    await keyed.close();
  });

  test('is the same document whether or not the server has API keys', async () => {
    assert.deepEqual((await keyed.app.inject({ url: '/openapi.json' })).json(), doc);
  });

  test('guarded operations need Bearer or X-API-Key and may answer 401; the probes and the document are open', () => {
    const all = operations(doc);
    assert.equal(all.length, 25);
    for (const [name, op] of all) {
      if (OPEN.includes(name)) {
        assert.deepEqual(op.security, [], name);
        assert.equal(op.responses['401'], undefined, name);
      } else {
        assert.deepEqual(op.security, [{ bearerAuth: [] }, { apiKeyAuth: [] }], name);
        assert.ok(op.responses['401'], name);
      }
      assert.equal(op.responses['403'] !== undefined, ADMIN.includes(name) || name === 'GET /v1/usage', name);
    }
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, {
      type: 'http',
      scheme: 'bearer',
      description: 'An API key as `Authorization: Bearer KEY`',
    });
    assert.equal(doc.components.securitySchemes.apiKeyAuth?.in, 'header');
  });

  test('each declared security scheme is one the server accepts', async () => {
    for (const [name, scheme] of Object.entries(doc.components.securitySchemes)) {
      const headers: Record<string, string> =
        scheme.type === 'http' && scheme.scheme === 'bearer'
          ? { authorization: 'Bearer tenant-key' }
          : { [String(scheme.name).toLowerCase()]: 'tenant-key' };
      assert.equal((await keyed.app.inject({ url: '/v1/jobs', headers })).statusCode, 200, name);
    }
    assert.equal((await keyed.app.inject({ url: '/v1/jobs' })).statusCode, 401);
  });

  test('every operation has an id, a summary, a declared tag and a 4xx or 5xx error in the error format', () => {
    const declared = new Map(doc.tags.map((t) => [t.name, t.description]));
    const ids = new Set<string>();
    for (const [name, op] of operations(doc)) {
      assert.match(op.operationId, /^[a-z][A-Za-z]+$/, name);
      ids.add(op.operationId);
      assert.ok(op.summary.length > 0, name);
      for (const tag of op.tags) assert.ok(declared.get(tag), `${name}: tag ${tag}`);
      const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
      assert.ok(errors.length > 0, name);
      for (const [status, response] of errors)
        assert.deepEqual(response.content?.['application/json']?.schema, ERROR_REF, `${name} ${status}`);
      assert.ok(op.responses['503'], name);
      if (!OPEN.includes(name))
        assert.ok(
          Object.keys(op.responses).some((s) => s.startsWith('4')),
          name,
        );
    }
    assert.equal(ids.size, operations(doc).length, 'operationIds are unique');
  });

  test('the 4xx answers follow from the route: input → 400, POST → 400/413/415, and the route’s own entries win', () => {
    const op = (path: string, method: string) => doc.paths[path]?.[method]?.responses ?? {};
    assert.deepEqual(Object.keys(op('/healthz', 'get')), ['200', '500', '503']);
    assert.deepEqual(Object.keys(op('/v1/queues', 'get')), ['200', '401', '500', '503']);
    assert.deepEqual(Object.keys(op('/v1/queues/{name}/pause', 'post')), [
      '200',
      '400',
      '401',
      '403',
      '413',
      '415',
      '500',
      '503',
    ]);
    assert.deepEqual(Object.keys(op('/v1/jobs/{id}', 'get')), ['200', '400', '401', '404', '500', '503']);
    assert.equal(op('/v1/jobs', 'post')['409']?.description, 'The idempotency key belongs to another tenant');
    assert.equal(op('/readyz', 'get')['503']?.description, 'The backend is unavailable');
  });

  test('the derived answers happen: a bodiless POST refuses bad JSON and other types, admin routes a tenant key', async () => {
    const auth = { authorization: 'Bearer tenant-key' };
    const cancel = `/v1/jobs/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/cancel`;
    const badJson = await keyed.app.inject({
      method: 'POST',
      url: cancel,
      payload: '{',
      headers: { ...auth, 'content-type': 'application/json' },
    });
    assert.equal(badJson.statusCode, 400);
    const text = await keyed.app.inject({
      method: 'POST',
      url: cancel,
      payload: 'x',
      headers: { ...auth, 'content-type': 'text/plain' },
    });
    assert.equal(text.statusCode, 415);
    assert.equal((await keyed.app.inject({ method: 'POST', url: '/v1/queues/q/pause', headers: auth })).statusCode, 403);
    assert.equal((await keyed.app.inject({ url: '/metrics', headers: auth })).statusCode, 403);
    assert.equal((await keyed.app.inject({ url: '/v1/queues' })).statusCode, 401);
  });

  test('names its license (package.json), a server and tag descriptions', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { license: string };
    assert.deepEqual(doc.info.license, { name: pkg.license, identifier: pkg.license });
    assert.deepEqual(
      doc.servers.map((s) => s.url),
      ['/'],
    );
    assert.match(doc.info.description, /X-API-Key/);
    assert.deepEqual(
      doc.tags.map((t) => t.name),
      ['health', 'jobs', 'events', 'queues', 'dlq', 'usage', 'webhooks', 'observability', 'meta'],
    );
  });

  test('a configured public URL is the server (without its trailing slash)', async () => {
    const proxied = await startApp({ publicUrl: 'https://queue.example.test/sluice/' });
    try {
      const served = (await proxied.app.inject({ url: '/openapi.json' })).json() as Document;
      assert.deepEqual(
        served.servers.map((s) => s.url),
        ['https://queue.example.test/sluice'],
      );
    } finally {
      await proxied.close();
    }
  });
});

describe('errorResponsesOf', () => {
  test('decides the error answers from access, input and method', () => {
    assert.deepEqual(Object.keys(errorResponsesOf({ method: 'GET', access: 'public' })), ['500', '503']);
    assert.deepEqual(Object.keys(errorResponsesOf({ method: 'GET', access: 'tenant' })), ['401', '500', '503']);
    assert.deepEqual(Object.keys(errorResponsesOf({ method: 'POST', access: 'admin' })), [
      '400',
      '401',
      '403',
      '413',
      '415',
      '500',
      '503',
    ]);
  });
});
