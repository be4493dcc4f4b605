import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PermanentError } from '../../src/core/errors.js';
import { LISTED_ERROR_MESSAGE_MAX, type ListedJobJson } from '../../src/core/listed-job-json.js';
import type { Worker } from '../../src/worker/worker.js';
import { type AppFixture, errorOf, jobOf, startApp, submit } from './app-fixture.js';

const BIG_OUTPUT = { digits: '9'.repeat(200_000) };
const INPUT = { n: 'ünïcode input' };
const LONG_MESSAGE = `cannot work: ${'x'.repeat(2000)}`;

type Page = { jobs: ListedJobJson[]; nextCursor?: string };

describe('list answers stay small (summaries unless include asks)', () => {
  let fx: AppFixture;
  let worker: Worker;
  let bigId: string;
  let deadId: string;

  before(async () => {
    fx = await startApp();
    worker = fx.sluice.worker({
      queues: ['shape'],
      handlers: {
        big: () => BIG_OUTPUT,
        boom: () => {
          throw new PermanentError(LONG_MESSAGE);
        },
      },
    });
    await worker.start();
    bigId = jobOf(await submit(fx.app, { type: 'big', queue: 'shape', input: INPUT })).id;
    deadId = jobOf(await submit(fx.app, { type: 'boom', queue: 'shape', input: INPUT, maxAttempts: 1 })).id;
    assert.equal(jobOf(await fx.app.inject({ url: `/v1/jobs/${bigId}?wait=30` })).status, 'succeeded');
    assert.equal(jobOf(await fx.app.inject({ url: `/v1/jobs/${deadId}?wait=30` })).status, 'failed');
    await worker.stop();
  });
  after(() => fx.close());

  const listed = async (url: string) => {
    const res = await fx.app.inject({ url });
    assert.equal(res.statusCode, 200, res.body);
    return { page: res.json() as Page, bytes: res.rawPayload.length };
  };
  const item = (page: Page, id: string) => {
    const job = page.jobs.find((j) => j.id === id);
    assert.ok(job, `${id} listed`);
    return job;
  };

  test('GET /v1/jobs: summaries without input and output, with their sizes', async () => {
    const { page, bytes } = await listed('/v1/jobs?queue=shape');
    assert.ok(bytes < 10_000, `a page of two summaries is small (${bytes} bytes)`);
    const big = item(page, bigId);
    assert.equal('input' in big, false);
    assert.equal('output' in big, false);
    assert.equal(big.inputBytes, Buffer.byteLength(JSON.stringify(INPUT)));
    assert.equal(big.outputBytes, Buffer.byteLength(JSON.stringify(BIG_OUTPUT)));
    assert.equal(big.status, 'succeeded');
    assert.equal(typeof big.createdAt, 'string');
  });

  test('?include=input,output carries the full fields; one name carries one', async () => {
    const both = item((await listed('/v1/jobs?queue=shape&include=input,output')).page, bigId);
    assert.deepEqual(both.input, INPUT);
    assert.deepEqual(both.output, BIG_OUTPUT);
    const inputOnly = item((await listed('/v1/jobs?queue=shape&include=input')).page, bigId);
    assert.deepEqual(inputOnly.input, INPUT);
    assert.equal('output' in inputOnly, false);
  });

  test('an unknown include name is a 400 naming include', async () => {
    for (const url of ['/v1/jobs?include=input,secrets', '/v1/dlq?include=metadata', '/v1/jobs?include=']) {
      const res = await fx.app.inject({ url });
      assert.equal(res.statusCode, 400, url);
      assert.equal(errorOf(res).field, 'include', url);
    }
  });

  test('GET /v1/dlq: summaries with the error message cut, full with include', async () => {
    const { page } = await listed('/v1/dlq?queue=shape');
    assert.deepEqual(
      page.jobs.map((j) => j.id),
      [deadId],
    );
    const dead = item(page, deadId);
    assert.equal('input' in dead, false);
    assert.equal(dead.outputBytes, 0);
    assert.equal(dead.error?.code, 'SLUICE_PERMANENT');
    assert.equal(dead.error?.truncated, true);
    assert.equal(dead.error.message.length, LISTED_ERROR_MESSAGE_MAX + 1, 'cut, with an ellipsis');
    // The job itself keeps the message as stored (the worker bounds it, far above a list's cut).
    const own = jobOf(await fx.app.inject({ url: `/v1/jobs/${deadId}` })).error?.message ?? '';
    assert.ok(own.length > LISTED_ERROR_MESSAGE_MAX + 1, `the job has the longer message (${own.length})`);
    assert.ok(own.startsWith(dead.error.message.slice(0, -1)), 'the cut is a prefix of it');
    assert.ok(LONG_MESSAGE.startsWith(dead.error.message.slice(0, -1)));
    const full = item((await listed('/v1/dlq?queue=shape&include=input')).page, deadId);
    assert.deepEqual(full.input, INPUT);
  });

  test('GET /v1/jobs/{id}/output sends the output; a job without one is 409 SLUICE_NOT_READY', async () => {
    const res = await fx.app.inject({ url: `/v1/jobs/${bigId}/output` });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(res.body, JSON.stringify(BIG_OUTPUT), 'the stored JSON text');
    const notReady = await fx.app.inject({ url: `/v1/jobs/${deadId}/output` });
    assert.equal(notReady.statusCode, 409);
    assert.equal(errorOf(notReady).code, 'SLUICE_NOT_READY');
  });
});
