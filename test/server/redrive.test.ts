import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { PermanentError } from '../../src/core/errors.js';
import { type AppFixture, errorOf, jobOf, startApp, submit } from './app-fixture.js';

describe('POST /v1/dlq/redrive', () => {
  let fx: AppFixture;
  let deadId: string;

  before(async () => {
    fx = await startApp();
  });
  after(() => fx.close());

  // Each test starts with one failed job of its own and no worker running.
  beforeEach(async () => {
    const worker = fx.sluice.worker({
      queues: ['redrive'],
      handlers: {
        boom: () => {
          throw new PermanentError('never works');
        },
      },
    });
    await worker.start();
    deadId = jobOf(await submit(fx.app, { type: 'boom', queue: 'redrive', maxAttempts: 1, timeoutMs: 1000 })).id;
    assert.equal(jobOf(await fx.app.inject({ url: `/v1/jobs/${deadId}?wait=30` })).status, 'failed');
    await worker.stop();
  });

  const failedCount = async () => (await fx.sluice.list({ status: 'failed', limit: 1000 })).jobs.length;
  const redrive = (payload: string, headers = { 'content-type': 'application/json' }) =>
    fx.app.inject({ method: 'POST', url: '/v1/dlq/redrive', payload, headers });

  test('a body of null is a 400 and redrives nothing', async () => {
    const before = await failedCount();
    const res = await redrive('null');
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res).code, 'SLUICE_VALIDATION');
    assert.equal(await failedCount(), before);
    assert.equal(jobOf(await fx.app.inject({ url: `/v1/jobs/${deadId}` })).status, 'failed');
  });

  test('maxAttempts and timeoutMs are validated like the job spec, naming the field', async () => {
    for (const [body, field] of [
      [{ maxAttempts: 0 }, 'maxAttempts'],
      [{ maxAttempts: 1.5 }, 'maxAttempts'],
      [{ timeoutMs: -1 }, 'timeoutMs'],
      [{ timeoutMs: '5000' }, 'timeoutMs'],
    ] as const) {
      const res = await redrive(JSON.stringify({ ids: [deadId], ...body }));
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal(errorOf(res).field, field);
    }
    assert.equal(jobOf(await fx.app.inject({ url: `/v1/jobs/${deadId}` })).status, 'failed', 'nothing moved');
  });

  test('the redriven jobs get the maxAttempts and timeoutMs given', async () => {
    const res = await redrive(JSON.stringify({ ids: [deadId], maxAttempts: 4, timeoutMs: 90_000 }));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { redriven: 1 });
    const job = jobOf(await fx.app.inject({ url: `/v1/jobs/${deadId}` }));
    assert.deepEqual([job.status, job.attempts, job.maxAttempts, job.timeoutMs], ['queued', 0, 4, 90_000]);
  });

  test('no body still redrives every failed job', async () => {
    assert.ok((await failedCount()) >= 1);
    const res = await fx.app.inject({ method: 'POST', url: '/v1/dlq/redrive' });
    assert.equal(res.statusCode, 200);
    assert.ok((res.json() as { redriven: number }).redriven >= 1);
    assert.equal(await failedCount(), 0);
  });
});
