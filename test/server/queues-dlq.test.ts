import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PermanentError } from '../../src/core/errors.js';
import type { JobJson } from '../../src/core/job-json.js';
import type { Worker } from '../../src/worker/worker.js';
import { type AppFixture, jobOf, startApp, submit } from './app-fixture.js';

/** A math input the handler can run (the API checks input against the handler's schema). */
const Q = { question: 'What is 1 plus 1?' };

interface QueueJson {
  name: string;
  paused: boolean;
  counts: Record<string, number>;
  oldestQueuedAgeMs: number;
}

describe('queues and the dead-letter queue', () => {
  let fx: AppFixture;
  let worker: Worker;

  before(async () => {
    fx = await startApp();
    worker = fx.sluice.worker({
      queues: ['poison'],
      handlers: {
        boom: () => {
          throw new PermanentError('this input can never work');
        },
      },
    });
    await worker.start();
  });
  after(() => fx.close());

  test('GET /v1/queues shows counts, pause flag and lag; pause and resume flip the flag', async () => {
    await submit(fx.app, { type: 'math', input: Q, queue: 'q1' });
    await submit(fx.app, { type: 'math', input: Q, queue: 'q1' });
    let queues = (await fx.app.inject({ url: '/v1/queues' })).json() as { queues: QueueJson[] };
    const q1 = queues.queues.find((q) => q.name === 'q1');
    assert.ok(q1);
    assert.equal(q1.paused, false);
    assert.equal(q1.counts.queued, 2);
    assert.equal(q1.counts.succeeded, 0);
    assert.equal(typeof q1.oldestQueuedAgeMs, 'number');

    const paused = await fx.app.inject({ method: 'POST', url: '/v1/queues/q1/pause' });
    assert.equal(paused.statusCode, 200);
    assert.deepEqual(paused.json(), { name: 'q1', paused: true });
    queues = (await fx.app.inject({ url: '/v1/queues' })).json() as { queues: QueueJson[] };
    assert.equal(queues.queues.find((q) => q.name === 'q1')?.paused, true);

    const resumed = await fx.app.inject({ method: 'POST', url: '/v1/queues/q1/resume' });
    assert.deepEqual(resumed.json(), { name: 'q1', paused: false });
    queues = (await fx.app.inject({ url: '/v1/queues' })).json() as { queues: QueueJson[] };
    assert.equal(queues.queues.find((q) => q.name === 'q1')?.paused, false);
  });

  test('a failed job is listed in the DLQ and redrive puts it back', async () => {
    const job = jobOf(await submit(fx.app, { type: 'boom', queue: 'poison', maxAttempts: 2 }));
    const failed = jobOf(await fx.app.inject({ url: `/v1/jobs/${job.id}?wait=30` }));
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'SLUICE_PERMANENT');
    // Stop the worker so the redriven job stays queued for the assertions below.
    await worker.stop();

    const dlq = (await fx.app.inject({ url: '/v1/dlq?queue=poison' })).json() as { jobs: JobJson[] };
    assert.deepEqual(
      dlq.jobs.map((j) => j.id),
      [job.id],
    );
    const byType = (await fx.app.inject({ url: '/v1/dlq?type=math' })).json() as { jobs: JobJson[] };
    assert.deepEqual(byType.jobs, []);

    const none = await fx.app.inject({ method: 'POST', url: '/v1/dlq/redrive', payload: { queue: 'other' } });
    assert.deepEqual(none.json(), { redriven: 0 });
    const res = await fx.app.inject({ method: 'POST', url: '/v1/dlq/redrive', payload: { ids: [job.id] } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { redriven: 1 });

    const after = jobOf(await fx.app.inject({ url: `/v1/jobs/${job.id}` }));
    assert.equal(after.status, 'queued');
    assert.deepEqual(((await fx.app.inject({ url: '/v1/dlq?queue=poison' })).json() as { jobs: JobJson[] }).jobs, []);
  });
});
