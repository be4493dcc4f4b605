import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { PermanentError } from '../../../src/core/errors.js';
import type { BatchHandlerFunction, HandlerContext, HandlerDefinition } from '../../../src/worker/handler.js';
import { collect, type Harness, makeHarness } from './harness.js';

type Input = { n: number; fail?: boolean };

/** A batched handler that doubles `n` and records the size of every batch call. */
function doubler(batch: { maxSize: number; maxWaitMs: number }, sizes: number[]): HandlerDefinition<Input, number> {
  const handleBatch: BatchHandlerFunction<Input, number> = async (items) => {
    sizes.push(items.length);
    return items.map(({ job }) =>
      job.input.fail
        ? { ok: false, error: new PermanentError(`item ${job.input.n} is bad`) }
        : { ok: true, output: job.input.n * 2 },
    );
  };
  return { handle: async ({ job }: HandlerContext<Input>) => job.input.n * 2, batch, handleBatch };
}

describe('Worker batching windows', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(() => h.cleanup());

  test('jobs claimed together run in one call, and each gets its own result', async () => {
    const jobs = await h.enqueue(...[1, 2, 3, 4, 5].map((n) => ({ input: { n } })));
    const sizes: number[] = [];
    const worker = h.worker({ concurrency: 8, handlers: { echo: doubler({ maxSize: 5, maxWaitMs: 60_000 }, sizes) } });
    const done = collect(worker, 'job:succeeded', 5);
    await worker.start();
    await done;
    assert.deepEqual(sizes, [5]);
    for (const job of jobs) {
      const stored = await h.job(job.id);
      assert.equal(stored.status, 'succeeded');
      assert.equal(stored.output, (job.input as Input).n * 2);
    }
  });

  test('the window closes after maxWaitMs with whatever arrived', async () => {
    await h.enqueue(...[1, 2, 3].map((n) => ({ input: { n } })));
    const sizes: number[] = [];
    const worker = h.worker({ concurrency: 8, handlers: { echo: doubler({ maxSize: 100, maxWaitMs: 20 }, sizes) } });
    const done = collect(worker, 'job:succeeded', 3);
    await worker.start();
    await done;
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      3,
    );
  });

  test('only the items that failed fail', async () => {
    const jobs = await h.enqueue({ input: { n: 1 } }, { input: { n: 2, fail: true } }, { input: { n: 3 } });
    const worker = h.worker({ concurrency: 8, handlers: { echo: doubler({ maxSize: 3, maxWaitMs: 60_000 }, []) } });
    const succeeded = collect(worker, 'job:succeeded', 2);
    const failed = worker.once('job:failed');
    await worker.start();
    await Promise.all([succeeded, failed]);
    const [a, b, c] = await Promise.all(jobs.map((job) => h.job(job.id)));
    assert.equal(a?.status, 'succeeded');
    assert.equal(b?.status, 'failed');
    assert.equal(b?.error?.code, 'SLUICE_PERMANENT');
    assert.match(b?.error?.message ?? '', /item 2 is bad/);
    assert.equal(c?.status, 'succeeded');
  });

  test('a batch call that throws fails every item of that batch (each retries on its own)', async () => {
    await h.enqueue({ input: { n: 1 }, maxAttempts: 2 }, { input: { n: 2 }, maxAttempts: 2 });
    let calls = 0;
    const worker = h.worker({
      concurrency: 8,
      handlers: {
        echo: {
          handle: () => 0,
          batch: { maxSize: 2, maxWaitMs: 60_000 },
          handleBatch: async (items: Array<HandlerContext<Input>>) => {
            calls += 1;
            if (calls === 1) throw new Error('provider down');
            return items.map(({ job }) => ({ ok: true as const, output: job.input.n }));
          },
        },
      },
    });
    const retries = collect(worker, 'job:retry', 2);
    await worker.start();
    const events = await retries;
    assert.deepEqual(
      events.map((event) => event.error.message),
      ['provider down', 'provider down'],
    );
  });

  test('stop() runs the jobs waiting in a window at once', async () => {
    await h.enqueue({ input: { n: 1 } }, { input: { n: 2 } });
    const sizes: number[] = [];
    const worker = h.worker({ concurrency: 8, handlers: { echo: doubler({ maxSize: 10, maxWaitMs: 600_000 }, sizes) } });
    const started = collect(worker, 'job:started', 2);
    const done = collect(worker, 'job:succeeded', 2);
    await worker.start();
    await started;
    await worker.stop({ graceMs: 10_000 });
    await done;
    assert.deepEqual(sizes, [2]);
  });

  test('batch without handleBatch, or a bad size, is a config error', () => {
    assert.throws(
      () => h.worker({ handlers: { echo: { handle: () => 0, batch: { maxSize: 2, maxWaitMs: 1 } } } }),
      /handlers\.echo\.handleBatch: is required with batch/,
    );
    assert.throws(
      () =>
        h.worker({ handlers: { echo: { ...doubler({ maxSize: 0, maxWaitMs: 1 }, []) } as HandlerDefinition<never, unknown> } }),
      /handlers\.echo\.batch\.maxSize/,
    );
  });
});
