import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JobJson } from '../../src/core/job-json.js';
import { type AppFixture, errorOf, jobOf, nextLongPoll, startApp, submit } from './app-fixture.js';

/** A math input the handler can run (the API checks input against the handler's schema). */
const Q = { question: 'What is 1 plus 1?' };

describe('jobs API', () => {
  let fx: AppFixture;
  /** Releases the running `gated` job; set by its handler. */
  let openGate: (() => void) | undefined;
  let gateStarted: Promise<void>;
  let signalGateStarted: () => void = () => {};

  before(async () => {
    fx = await startApp();
    gateStarted = new Promise((resolve) => {
      signalGateStarted = resolve;
    });
    const worker = fx.sluice.worker({
      queues: ['work'],
      handlers: {
        echo: async ({ job }) => job.input,
        gated: ({ job }) =>
          new Promise((resolve) => {
            openGate = () => resolve({ released: job.id });
            signalGateStarted();
          }),
      },
    });
    await worker.start();
  });
  after(() => fx.close());

  test('POST /v1/jobs answers 202 with the job and its Location, and the job is stored', async () => {
    const res = await submit(fx.app, { type: 'math', input: { question: 'What is 1 plus 1?' }, priority: 5, metadata: { a: 1 } });
    assert.equal(res.statusCode, 202);
    const job = jobOf(res);
    assert.equal(res.headers.location, `/v1/jobs/${job.id}`);
    assert.equal(job.type, 'math');
    assert.equal(job.queue, 'default');
    assert.equal(job.status, 'queued');
    assert.equal(job.priority, 5);
    assert.deepEqual(job.input, { question: 'What is 1 plus 1?' });
    // Durable: the backend has it, and GET returns the same job.
    assert.equal((await fx.sluice.get(job.id))?.id, job.id);
    const got = await fx.app.inject({ url: `/v1/jobs/${job.id}` });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(jobOf(got), job);
  });

  test('a repeated idempotency key (body or header) answers 200 with the first job and stores no second one', async () => {
    const first = await submit(fx.app, { type: 'math', input: Q, queue: 'idem', idempotencyKey: 'k-1' });
    assert.equal(first.statusCode, 202);
    const again = await submit(fx.app, { type: 'math', input: Q, queue: 'idem', idempotencyKey: 'k-1' });
    assert.equal(again.statusCode, 200);
    assert.equal(jobOf(again).id, jobOf(first).id);
    assert.equal(again.headers.location, `/v1/jobs/${jobOf(first).id}`);
    // The same key for another request is not a retry (IETF Idempotency-Key): 422, nothing stored.
    const other = await submit(fx.app, {
      type: 'math',
      queue: 'idem',
      idempotencyKey: 'k-1',
      input: { question: 'What is 2 plus 2?' },
    });
    assert.equal(other.statusCode, 422, other.body);
    assert.equal(errorOf(other).code, 'SLUICE_IDEMPOTENCY_MISMATCH');
    assert.equal(errorOf(other).field, 'idempotencyKey');

    const byHeader = await submit(fx.app, { type: 'math', input: Q, queue: 'idem' }, { 'idempotency-key': 'k-2' });
    assert.equal(byHeader.statusCode, 202);
    assert.equal(jobOf(byHeader).idempotencyKey, 'k-2');
    const byHeaderAgain = await submit(fx.app, { type: 'math', input: Q, queue: 'idem' }, { 'idempotency-key': 'k-2' });
    assert.equal(byHeaderAgain.statusCode, 200);
    assert.equal(jobOf(byHeaderAgain).id, jobOf(byHeader).id);
    const byBody = await submit(fx.app, { type: 'math', input: Q, queue: 'idem', idempotencyKey: 'k-2' });
    assert.equal(jobOf(byBody).id, jobOf(byHeader).id);

    const list = await fx.app.inject({ url: '/v1/jobs?queue=idem' });
    assert.equal((list.json() as { jobs: JobJson[] }).jobs.length, 2);
  });

  test('an Idempotency-Key header on a bulk request keys its jobs: a retried bulk makes no duplicates', async () => {
    const bulk = (jobs: object[]) =>
      fx.app.inject({ method: 'POST', url: '/v1/jobs/bulk', payload: { jobs }, headers: { 'idempotency-key': 'batch-9' } });
    const jobs = [
      { type: 'noop', queue: 'idem-bulk', input: 1 },
      { type: 'noop', queue: 'idem-bulk', input: 2 },
    ];
    const first = await bulk(jobs);
    assert.equal(first.statusCode, 202, first.body);
    const retry = await bulk(jobs);
    assert.equal(retry.statusCode, 200, retry.body);
    assert.deepEqual(
      (retry.json() as { jobs: JobJson[] }).jobs.map((j) => j.id),
      (first.json() as { jobs: JobJson[] }).jobs.map((j) => j.id),
    );
    const changed = await bulk([jobs[0]!, { ...jobs[1]!, input: 3 }]);
    assert.equal(changed.statusCode, 422, changed.body);
    assert.equal(errorOf(changed).field, 'jobs.1.idempotencyKey');
    const list = await fx.app.inject({ url: '/v1/jobs?queue=idem-bulk' });
    assert.equal((list.json() as { jobs: JobJson[] }).jobs.length, 2);
  });

  test('POST /v1/jobs/bulk reusing a key for a different request answers 422 and stores none of its jobs', async () => {
    const used = await submit(fx.app, { type: 'noop', queue: 'idem-mixed', idempotencyKey: 'order-5', input: 1 });
    assert.equal(used.statusCode, 202, used.body);
    const res = await fx.app.inject({
      method: 'POST',
      url: '/v1/jobs/bulk',
      payload: {
        jobs: [
          { type: 'noop', queue: 'idem-mixed', input: 'new' },
          { type: 'noop', queue: 'idem-mixed', idempotencyKey: 'order-5', input: 2 },
        ],
      },
    });
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(errorOf(res).code, 'SLUICE_IDEMPOTENCY_MISMATCH');
    assert.equal(errorOf(res).field, 'jobs.1.idempotencyKey');
    const list = await fx.app.inject({ url: '/v1/jobs?queue=idem-mixed' });
    assert.deepEqual(
      (list.json() as { jobs: JobJson[] }).jobs.map((j) => j.id),
      [jobOf(used).id],
    );
  });

  test('concurrent single submits: only the one reusing a key for a different body gets 422', async () => {
    const used = await submit(fx.app, { type: 'noop', queue: 'idem-many', idempotencyKey: 'order-6', input: 1 });
    assert.equal(used.statusCode, 202, used.body);
    const answers = await Promise.all([
      submit(fx.app, { type: 'noop', queue: 'idem-many', input: 'a' }),
      submit(fx.app, { type: 'noop', queue: 'idem-many', idempotencyKey: 'order-6', input: 2 }),
      submit(fx.app, { type: 'noop', queue: 'idem-many', idempotencyKey: 'order-7', input: 'b' }),
      submit(fx.app, { type: 'noop', queue: 'idem-many', idempotencyKey: 'order-6', input: 1 }),
    ]);
    assert.deepEqual(
      answers.map((a) => a.statusCode),
      [202, 422, 202, 200],
    );
    assert.equal(errorOf(answers[1]!).field, 'idempotencyKey');
    const list = await fx.app.inject({ url: '/v1/jobs?queue=idem-many' });
    assert.equal((list.json() as { jobs: JobJson[] }).jobs.length, 3);
  });

  test('POST /v1/jobs/bulk stores every job in order', async () => {
    const res = await fx.app.inject({
      method: 'POST',
      url: '/v1/jobs/bulk',
      payload: {
        jobs: [
          { type: 'math', queue: 'bulk', input: { question: '1+1' } },
          { type: 'factorial', queue: 'bulk', input: { n: 2 } },
          { type: 'noop', queue: 'bulk' },
        ],
      },
    });
    assert.equal(res.statusCode, 202);
    const { jobs } = res.json() as { jobs: JobJson[] };
    assert.deepEqual(
      jobs.map((j) => [j.type, j.input]),
      [
        ['math', { question: '1+1' }],
        ['factorial', { n: 2 }],
        ['noop', null],
      ],
    );
    for (const job of jobs) assert.equal((await fx.sluice.get(job.id))?.queue, 'bulk');
  });

  test('an unknown id is 404', async () => {
    const id = '0190a0a0-0000-7000-8000-000000000000';
    for (const req of [
      { method: 'GET' as const, url: `/v1/jobs/${id}` },
      { method: 'GET' as const, url: `/v1/jobs/${id}?wait=5` },
      { method: 'GET' as const, url: `/v1/jobs/${id}/output` },
      { method: 'POST' as const, url: `/v1/jobs/${id}/cancel` },
    ]) {
      const res = await fx.app.inject(req);
      assert.equal(res.statusCode, 404, req.url);
      assert.equal(errorOf(res).code, 'SLUICE_NOT_FOUND');
    }
  });

  test('cancel: 200 with the cancelled job, then 409 because it already ended', async () => {
    const job = jobOf(await submit(fx.app, { type: 'math', input: Q, queue: 'nobody-works-here' }));
    const res = await fx.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel` });
    assert.equal(res.statusCode, 200);
    assert.equal(jobOf(res).status, 'cancelled');
    const again = await fx.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel` });
    assert.equal(again.statusCode, 409);
    assert.equal(errorOf(again).code, 'SLUICE_CONFLICT');
    const output = await fx.app.inject({ url: `/v1/jobs/${job.id}/output` });
    assert.equal(output.statusCode, 409);
    assert.match(errorOf(output).message, /cancelled/);
  });

  test('long-poll returns as soon as the job ends, and output is served after success', async () => {
    const job = jobOf(await submit(fx.app, { type: 'gated', queue: 'work' }));
    await gateStarted;
    const before = await fx.app.inject({ url: `/v1/jobs/${job.id}/output` });
    assert.equal(before.statusCode, 409);
    assert.deepEqual(errorOf(before), { code: 'SLUICE_NOT_READY', message: errorOf(before).message, field: 'status' });
    assert.match(errorOf(before).message, /running/);

    const waiting = nextLongPoll(fx.sluice);
    const poll = fx.app.inject({ url: `/v1/jobs/${job.id}?wait=30` });
    await waiting;
    openGate?.();
    const res = await poll;
    assert.equal(res.statusCode, 200);
    assert.equal(jobOf(res).status, 'succeeded');
    assert.deepEqual(jobOf(res).output, { released: job.id });

    const output = await fx.app.inject({ url: `/v1/jobs/${job.id}/output` });
    assert.equal(output.statusCode, 200);
    assert.match(String(output.headers['content-type']), /application\/json/);
    assert.deepEqual(output.json(), { released: job.id });
  });

  test('a string output is served as JSON', async () => {
    const job = jobOf(await submit(fx.app, { type: 'echo', queue: 'work', input: 'hello' }));
    const done = jobOf(await fx.app.inject({ url: `/v1/jobs/${job.id}?wait=30` }));
    assert.equal(done.status, 'succeeded');
    const output = await fx.app.inject({ url: `/v1/jobs/${job.id}/output` });
    assert.equal(output.body, '"hello"');
    assert.match(String(output.headers['content-type']), /application\/json/);
  });

  test('long-poll answers with the current job when the wait runs out', async () => {
    const job = jobOf(await submit(fx.app, { type: 'math', input: Q, queue: 'nobody-works-here' }));
    const res = await fx.app.inject({ url: `/v1/jobs/${job.id}?wait=0.05` });
    assert.equal(res.statusCode, 200);
    assert.equal(jobOf(res).status, 'queued');
  });

  test('GET /v1/jobs filters by queue, status and type and pages with a cursor', async () => {
    const specs = [1, 2, 3, 4, 5].map((n) => ({ type: n % 2 === 0 ? 'even' : 'odd', queue: 'paging', input: n }));
    await fx.app.inject({ method: 'POST', url: '/v1/jobs/bulk', payload: { jobs: specs } });
    const seen: unknown[] = [];
    let cursor: string | undefined;
    do {
      const res = await fx.app.inject({
        url: `/v1/jobs?queue=paging&limit=2&include=input${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      });
      assert.equal(res.statusCode, 200);
      const page = res.json() as { jobs: JobJson[]; nextCursor?: string };
      assert.ok(page.jobs.length <= 2);
      seen.push(...page.jobs.map((j) => j.input));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5]);

    const odd = (await fx.app.inject({ url: '/v1/jobs?queue=paging&type=odd&status=queued&include=input' })).json() as {
      jobs: JobJson[];
    };
    assert.deepEqual(odd.jobs.map((j) => j.input).sort(), [1, 3, 5]);
    const none = (await fx.app.inject({ url: '/v1/jobs?queue=paging&status=succeeded' })).json() as { jobs: JobJson[] };
    assert.deepEqual(none.jobs, []);
  });

  test('cancelling a scheduled job ends it cancelled (an empty JSON body is fine)', async () => {
    const job = jobOf(await submit(fx.app, { type: 'math', input: Q, queue: 'cancel-me', delayMs: 60_000 }));
    assert.equal(job.status, 'scheduled');
    const res = await fx.app.inject({
      method: 'POST',
      url: `/v1/jobs/${job.id}/cancel`,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(jobOf(res).status, 'cancelled');
  });
});
