import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ErrorCodes, PermanentError, RateLimitedError } from '../../../src/core/errors.js';
import type { HandlerContext } from '../../../src/worker/handler.js';
import { collect, deferred, type Harness, makeHarness } from './harness.js';

describe('Worker outcomes', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(() => h.cleanup());

  test('a handler that returns completes the job with its output', async () => {
    const [job] = await h.enqueue({ input: { a: 2, b: 3 } });
    const worker = h.worker({
      handlers: { echo: ({ job }: HandlerContext<{ a: number; b: number }>) => ({ sum: job.input.a + job.input.b }) },
    });
    const succeeded = worker.once('job:succeeded');
    await worker.start();
    const event = await succeeded;
    assert.deepEqual(event.output, { sum: 5 });
    const stored = await h.job(job!.id);
    assert.equal(stored.status, 'succeeded');
    assert.deepEqual(stored.output, { sum: 5 });
    assert.equal(stored.attempts, 1);
  });

  test('an output the backend cannot store ends the job failed, and the worker says failed, not succeeded', async () => {
    const small = makeHarness({ maxOutputBytes: 16 });
    try {
      const [job] = await small.enqueue({});
      const worker = small.worker({ handlers: { echo: () => 'x'.repeat(100) } });
      const failed = worker.once('job:failed');
      const succeeded: unknown[] = [];
      worker.on('job:succeeded', (event) => succeeded.push(event));
      await worker.start();
      const event = await failed;
      assert.equal(event.job.id, job!.id);
      assert.equal(event.error.code, ErrorCodes.payloadTooLarge);
      assert.deepEqual(succeeded, []);
      assert.equal((await small.job(job!.id)).status, 'failed');
    } finally {
      await small.cleanup();
    }
  });

  test('progress is recorded on the job while it runs', async () => {
    const [job] = await h.enqueue({});
    const recorded = deferred();
    const gate = deferred();
    const worker = h.worker({
      handlers: {
        echo: async ({ progress }: HandlerContext) => {
          await progress({ percent: 40, partial: 'Hel' });
          recorded.resolve();
          await gate.promise;
          return 'Hello';
        },
      },
    });
    const progressEvent = new Promise((resolve) => h.backend.events.on('job:progress', resolve));
    await worker.start();
    await recorded.promise;
    assert.deepEqual(await progressEvent, { id: job!.id, progress: { percent: 40, partial: 'Hel' } });
    const running = await h.job(job!.id);
    assert.equal(running.status, 'running');
    assert.deepEqual(running.progress, { percent: 40, partial: 'Hel' });
    const succeeded = worker.once('job:succeeded');
    gate.resolve();
    await succeeded;
  });

  test('a PermanentError fails the job at once, whatever attempts are left', async () => {
    const [job] = await h.enqueue({ maxAttempts: 5 });
    const worker = h.worker({
      handlers: {
        echo: () => {
          throw new PermanentError('input is not a question');
        },
      },
    });
    const failed = worker.once('job:failed');
    await worker.start();
    const { error } = await failed;
    assert.deepEqual(error, { code: ErrorCodes.permanent, message: 'input is not a question', permanent: true });
    const stored = await h.job(job!.id);
    assert.equal(stored.status, 'failed');
    assert.equal(stored.attempts, 1);
  });

  test('a transient error retries with backoff, then the next attempt succeeds', async () => {
    const [job] = await h.enqueue({ maxAttempts: 3 });
    let calls = 0;
    const worker = h.worker({
      handlers: {
        echo: () => {
          calls += 1;
          if (calls === 1) throw new Error('provider hiccup');
          return 'second time lucky';
        },
      },
    });
    const retry = worker.once('job:retry');
    const succeeded = worker.once('job:succeeded');
    await worker.start();
    const retried = await retry;
    assert.equal(retried.error.code, ErrorCodes.handlerFailed);
    assert.equal(retried.delayMs, 0); // full jitter with random() = 0
    await succeeded;
    const stored = await h.job(job!.id);
    assert.equal(stored.status, 'succeeded');
    assert.equal(stored.attempts, 2);
    assert.equal(stored.error?.message, 'provider hiccup'); // the history stays visible
  });

  test('a retry waits out its backoff on the backend clock', async () => {
    const [job] = await h.enqueue({ maxAttempts: 3, backoff: { type: 'fixed', delayMs: 10_000, jitter: 'none' } });
    const worker = h.worker({
      handlers: {
        echo: () => {
          throw new Error('flaky');
        },
      },
    });
    const retry = worker.once('job:retry');
    await worker.start();
    assert.equal((await retry).delayMs, 10_000);
    const stored = await h.job(job!.id);
    assert.equal(stored.status, 'scheduled');
    assert.equal(stored.runAt, h.clock.now() + 10_000);
  });

  test('a transient error on the last attempt ends the job failed', async () => {
    const [job] = await h.enqueue({ maxAttempts: 2 });
    const worker = h.worker({
      handlers: {
        echo: () => {
          throw new Error('always broken');
        },
      },
    });
    const retry = worker.once('job:retry');
    const failed = worker.once('job:failed');
    await worker.start();
    await retry;
    const { error } = await failed;
    assert.equal(error.message, 'always broken');
    assert.equal(error.permanent, undefined);
    const stored = await h.job(job!.id);
    assert.equal(stored.status, 'failed');
    assert.equal(stored.attempts, 2);
  });

  test('a poison job ends failed after maxAttempts and never blocks the jobs behind it (invariant 4)', async () => {
    const backoff = { type: 'exponential' as const, delayMs: 1_000, jitter: 'none' as const };
    const [poison] = await h.enqueue({ input: 'poison', priority: 10, maxAttempts: 3, backoff });
    const [good] = await h.enqueue({ input: 'good' });
    const worker = h.worker({
      concurrency: 1,
      handlers: {
        echo: ({ job }) => {
          if (job.input === 'poison') throw new Error('cannot digest this');
          return job.input;
        },
      },
    });
    const firstRetry = worker.once('job:retry');
    const goodDone = worker.once('job:succeeded');
    await worker.start();
    assert.equal((await firstRetry).delayMs, 1_000);
    // While the poison job waits out its backoff, the job behind it runs.
    assert.equal((await goodDone).job.id, good!.id);

    const secondRetry = worker.once('job:retry');
    h.clock.advance(1_000);
    assert.equal((await secondRetry).delayMs, 2_000, 'the backoff doubles');
    const failed = worker.once('job:failed');
    h.clock.advance(2_000);
    assert.equal((await failed).job.id, poison!.id);

    const stored = await h.job(poison!.id);
    assert.equal(stored.status, 'failed');
    assert.equal(stored.attempts, 3);
    assert.equal(stored.error?.message, 'cannot digest this');
    assert.equal((await h.job(good!.id)).status, 'succeeded');
  });

  test('a RateLimitedError retries after the provider retry-after', async () => {
    const [job] = await h.enqueue({ maxAttempts: 3 });
    const worker = h.worker({
      handlers: {
        echo: () => {
          throw new RateLimitedError('429 from provider', 7_000);
        },
      },
    });
    const retry = worker.once('job:retry');
    await worker.start();
    const event = await retry;
    assert.equal(event.delayMs, 7_000);
    assert.equal(event.error.code, ErrorCodes.rateLimited);
    const stored = await h.job(job!.id);
    assert.equal(stored.status, 'scheduled');
    assert.equal(stored.runAt, h.clock.now() + 7_000);
  });

  test('results that finish together are written in one complete call and one fail call', async (t) => {
    const complete = t.mock.method(h.backend, 'complete');
    const fail = t.mock.method(h.backend, 'fail');
    const gate = deferred();
    await h.enqueue(...Array.from({ length: 50 }, (_, i) => ({ input: i, maxAttempts: 1 })));
    const worker = h.worker({
      concurrency: 50,
      handlers: {
        echo: async ({ job }: HandlerContext<number>) => {
          await gate.promise;
          if (job.input % 10 === 0) throw new Error('every tenth fails');
          return job.input;
        },
      },
    });
    const started = collect(worker, 'job:started', 50);
    const succeeded = collect(worker, 'job:succeeded', 45);
    const failed = collect(worker, 'job:failed', 5);
    await worker.start();
    await started;
    gate.resolve();
    await Promise.all([succeeded, failed]);
    assert.equal(complete.mock.callCount(), 1);
    assert.equal(complete.mock.calls[0]?.arguments[0].items.length, 45);
    assert.equal(fail.mock.callCount(), 1);
    assert.equal(fail.mock.calls[0]?.arguments[0].items.length, 5);
  });

  test('a settlement write that fails is retried', async (t) => {
    const complete = t.mock.method(h.backend, 'complete');
    complete.mock.mockImplementationOnce(async () => {
      throw new Error('connection reset');
    });
    const [job] = await h.enqueue({});
    const worker = h.worker({ handlers: { echo: () => 'done' } });
    const error = worker.once('error');
    const succeeded = worker.once('job:succeeded');
    await worker.start();
    assert.equal((await error).during, 'settle');
    await succeeded;
    assert.equal((await h.job(job!.id)).status, 'succeeded');
    assert.equal(complete.mock.callCount(), 2);
  });
});
