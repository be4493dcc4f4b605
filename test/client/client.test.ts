import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SluiceClient, SluiceError, SluiceHttpError } from '../../src/client/index.js';
import { PermanentError } from '../../src/core/errors.js';
import { buildApp } from '../../src/server/app.js';
import type { ApiKey } from '../../src/server/auth.js';
import { Sluice } from '../../src/sluice.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { nextLongPoll } from '../server/app-fixture.js';

/** Runs `fn` and returns what it threw, asserting that it threw a SluiceHttpError. */
async function rejection(fn: () => Promise<unknown>): Promise<SluiceHttpError> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof SluiceHttpError, String(error));
    assert.ok(error instanceof SluiceError);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('SluiceClient against a listening server', () => {
  const temp = makeTempDir('sluice-client-');
  let sluice: Sluice;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let client: SluiceClient;
  let baseUrl: string;

  before(async () => {
    sluice = await Sluice.connect(`sqlite:${join(temp.dir, 'test.db')}`);
    app = await buildApp({
      sluice,
      apiKeys: new Map<string, ApiKey>([
        ['secret', { tenant: 't1', admin: true }],
        ['user', { tenant: 't1', admin: false }],
      ]),
    });
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    client = new SluiceClient({ baseUrl: `${baseUrl}/`, apiKey: 'secret' });
    const worker = sluice.worker({
      queues: ['work'],
      handlers: {
        double: async ({ job }) => ({ value: (job.input as { n: number }).n * 2 }),
        boom: () => {
          throw new PermanentError('never');
        },
      },
    });
    await worker.start();
  });
  after(async () => {
    await app.close();
    await sluice.close({ graceMs: 1000 });
    temp.cleanup();
  });

  test('enqueue, get, waitFor with a worker, output', async () => {
    const job = await client.enqueue({ type: 'double', queue: 'work', input: { n: 21 } });
    assert.equal(job.type, 'double');
    assert.equal((await client.get(job.id)).id, job.id);
    const done = await client.waitFor(job.id, { timeoutMs: 30_000 });
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.output, { value: 42 });
    assert.deepEqual(await client.output(job.id), { value: 42 });
  });

  test('an idempotency key returns the first job', async () => {
    const first = await client.enqueue({ type: 'double', queue: 'idle' }, { idempotencyKey: 'once' });
    const second = await client.enqueue({ type: 'double', queue: 'idle' }, { idempotencyKey: 'once' });
    assert.equal(second.id, first.id);
  });

  test('enqueueMany, list with filters, cancel', async () => {
    const jobs = await client.enqueueMany([
      { type: 'a', queue: 'idle' },
      { type: 'b', queue: 'idle' },
    ]);
    assert.deepEqual(
      jobs.map((j) => j.type),
      ['a', 'b'],
    );
    const page = await client.list({ queue: 'idle', type: 'b', status: undefined, limit: 10 });
    assert.deepEqual(
      page.jobs.map((j) => j.id),
      [jobs[1]?.id],
    );
    assert.equal('input' in page.jobs[0]!, false, 'a summary by default');
    assert.equal(page.jobs[0]!.inputBytes, 4, 'the size of the stored null input');
    const full = await client.list({ queue: 'idle', type: 'b', include: ['input', 'output'] });
    assert.equal(full.jobs[0]!.input, null);
    const cancelled = await client.cancel(jobs[0]!.id);
    assert.equal(cancelled.status, 'cancelled');
    const again = await rejection(() => client.cancel(jobs[0]!.id));
    assert.equal(again.code, 'SLUICE_CONFLICT');
    assert.equal(again.status, 409);
  });

  test('errors carry the code, field and status of the answer', async () => {
    const invalid = await rejection(() => client.enqueue({ type: 'double', priority: 5000 }));
    assert.equal(invalid.code, 'SLUICE_VALIDATION');
    assert.equal(invalid.field, 'priority');
    assert.equal(invalid.status, 400);
    const bulk = await rejection(() => client.enqueueMany([{ type: 'ok' }, { type: '' }]));
    assert.equal(bulk.field, 'jobs.1.type');
    const missing = await rejection(() => client.get('0190a0a0-0000-7000-8000-000000000000'));
    assert.equal(missing.code, 'SLUICE_NOT_FOUND');
    assert.equal(missing.status, 404);
    const notReady = await rejection(async () => client.output((await client.enqueue({ type: 'x', queue: 'idle' })).id));
    assert.equal(notReady.code, 'SLUICE_NOT_READY');
    const badId = await rejection(() => client.get('nope'));
    assert.equal(badId.field, 'id');
  });

  test('queues, pause and resume', async () => {
    assert.deepEqual(await client.pauseQueue('idle'), { name: 'idle', paused: true });
    assert.equal((await client.queues()).queues.find((q) => q.name === 'idle')?.paused, true);
    assert.deepEqual(await client.resumeQueue('idle'), { name: 'idle', paused: false });
    const user = new SluiceClient({ baseUrl, apiKey: 'user' });
    const forbidden = await rejection(() => user.pauseQueue('idle'));
    assert.equal(forbidden.code, 'SLUICE_FORBIDDEN');
    assert.equal(forbidden.status, 403);
  });

  test('dead letter and redrive', async () => {
    const job = await client.enqueue({ type: 'boom', queue: 'work' });
    assert.equal((await client.waitFor(job.id, { timeoutMs: 30_000 })).status, 'failed');
    const dlq = await client.deadLetter({ queue: 'work' });
    assert.ok(dlq.jobs.some((j) => j.id === job.id));
    assert.ok((await client.deadLetter({ queue: 'work', include: ['input'] })).jobs.every((j) => 'input' in j));
    assert.deepEqual(await client.redrive({ ids: [job.id], queue: undefined, maxAttempts: 2, timeoutMs: 5000 }), { redriven: 1 });
    // The worker fails it again: it is back in the dead-letter queue.
    const again = await client.waitFor(job.id, { timeoutMs: 30_000 });
    assert.deepEqual([again.status, again.maxAttempts, again.timeoutMs], ['failed', 2, 5000]);
  });

  test('waitFor gives up with SLUICE_TIMEOUT', async () => {
    const job = await client.enqueue({ type: 'double', queue: 'idle' });
    await assert.rejects(client.waitFor(job.id, { timeoutMs: 100 }), (error: unknown) => {
      assert.ok(error instanceof SluiceError);
      assert.equal(error.code, 'SLUICE_TIMEOUT');
      return true;
    });
  });

  test('a client that gives up a long-poll stops the server waiting', async () => {
    const job = await client.enqueue({ type: 'double', queue: 'idle' });
    const controller = new AbortController();
    const serverSide = nextLongPoll(sluice);
    const poll = client.get(job.id, { waitSeconds: 60, signal: controller.signal });
    const signal = await serverSide;
    controller.abort();
    await assert.rejects(poll, { name: 'AbortError' });
    if (!signal.aborted) await once(signal, 'abort');
    assert.ok(signal.aborted);
  });

  test('without a key: 401; an unreachable server: SLUICE_BACKEND_UNAVAILABLE with status 0', async () => {
    const anonymous = new SluiceClient({ baseUrl });
    const denied = await rejection(() => anonymous.list());
    assert.equal(denied.code, 'SLUICE_UNAUTHORIZED');
    assert.equal(denied.status, 401);

    // A port nothing listens on: bound once, then released.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const unreachable = new SluiceClient({ baseUrl: `http://127.0.0.1:${port}` });
    const down = await rejection(() => unreachable.queues());
    assert.equal(down.code, 'SLUICE_BACKEND_UNAVAILABLE');
    assert.equal(down.status, 0);
    assert.match(down.message, /^cannot reach http:\/\/127\.0\.0\.1:\d+: /);
  });

  test('a non-JSON error answer keeps its status', async () => {
    const fake: typeof fetch = async () => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' });
    const viaProxy = new SluiceClient({ baseUrl, fetch: fake });
    const error = await rejection(() => viaProxy.queues());
    assert.equal(error.status, 502);
    assert.equal(error.code, 'SLUICE_BACKEND_UNAVAILABLE');
  });
});

describe('shutdown of a listening app', () => {
  test('a connection that never sent a request does not hold up app.close()', { timeout: 10_000 }, async () => {
    const temp = makeTempDir('sluice-client-');
    const sluice = await Sluice.connect(`sqlite:${join(temp.dir, 'test.db')}`);
    const app = await buildApp({ sluice });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const closed = once(socket, 'close');
    await app.close();
    await closed;
    await sluice.close();
    temp.cleanup();
  });
});
