import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { PermanentError } from '../../../src/core/errors.js';
import type { Job } from '../../../src/core/job.js';
import { type Harness, makeHarness } from './harness.js';

/** The fields a settlement writes, to compare an event's job with the stored one. */
function settled(job: Job) {
  const { status, output, error, finishedAt, runAt, attempts, updatedAt } = job;
  return { status, output, error, finishedAt, runAt, attempts, updatedAt };
}

describe('settlement events carry the job as the attempt left it', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(() => h.cleanup());

  test('job:succeeded: status succeeded, the output, finishedAt, no lease', async () => {
    const [job] = await h.enqueue({ input: { n: 2 } });
    const worker = h.worker({ handlers: { echo: () => ({ doubled: 4 }) } });
    const succeeded = worker.once('job:succeeded');
    await worker.start();
    const event = await succeeded;
    assert.equal(event.job.status, 'succeeded');
    assert.deepEqual(event.job.output, { doubled: 4 });
    assert.equal(typeof event.job.finishedAt, 'number');
    assert.equal('leaseToken' in event.job, false, 'the lease is gone');
    assert.deepEqual(settled(event.job), settled(await h.job(job!.id)));
  });

  test('job:retry: status scheduled with the error and the time it may run again', async () => {
    const [job] = await h.enqueue({ maxAttempts: 3, backoff: { type: 'fixed', delayMs: 5_000, jitter: 'none' } });
    const worker = h.worker({
      handlers: {
        echo: () => {
          throw new Error('flaky');
        },
      },
    });
    const retry = worker.once('job:retry');
    await worker.start();
    const event = await retry;
    assert.equal(event.delayMs, 5_000);
    assert.equal(event.job.status, 'scheduled');
    assert.equal(event.job.error?.message, 'flaky');
    assert.equal(event.job.runAt, h.clock.now() + event.delayMs);
    assert.equal(event.job.finishedAt, undefined);
    assert.deepEqual(settled(event.job), settled(await h.job(job!.id)));
  });

  test('job:retry with no delay: status queued, as the backend stores it', async () => {
    const [job] = await h.enqueue({ maxAttempts: 3, backoff: { type: 'fixed', delayMs: 0 } });
    const worker = h.worker({
      handlers: {
        echo: () => {
          throw new Error('flaky');
        },
      },
    });
    const retry = worker.once('job:retry');
    await worker.start();
    const event = await retry;
    assert.equal(event.job.id, job!.id);
    assert.equal(event.job.status, 'queued');
    assert.equal(event.job.runAt, h.clock.now());
  });

  test('job:failed: status failed with the error and finishedAt', async () => {
    const [job] = await h.enqueue({});
    const worker = h.worker({
      handlers: {
        echo: () => {
          throw new PermanentError('bad input');
        },
      },
    });
    const failed = worker.once('job:failed');
    await worker.start();
    const event = await failed;
    assert.equal(event.job.status, 'failed');
    assert.equal(event.job.error?.message, 'bad input');
    assert.equal(typeof event.job.finishedAt, 'number');
    assert.deepEqual(settled(event.job), settled(await h.job(job!.id)));
  });

  test('an output the backend cannot keep: job:failed carries the job failed, without the output', async () => {
    const small = makeHarness({ maxOutputBytes: 16 });
    try {
      const [job] = await small.enqueue({});
      const worker = small.worker({ handlers: { echo: () => 'x'.repeat(100) } });
      const failed = worker.once('job:failed');
      await worker.start();
      const event = await failed;
      assert.equal(event.job.status, 'failed');
      assert.equal(event.job.output, undefined);
      assert.deepEqual(settled(event.job), settled(await small.job(job!.id)));
    } finally {
      await small.cleanup();
    }
  });
});
