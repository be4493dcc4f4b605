import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ErrorCodes, SluiceError } from '../../../src/core/errors.js';
import type { HandlerContext } from '../../../src/worker/handler.js';
import { Worker } from '../../../src/worker/worker.js';
import { collect, deferred, type Harness, makeHarness } from './harness.js';

/** Waits for the worker's first claim call to return, with what it returned. */
async function firstClaim(claim: { mock: { calls: Array<{ result?: unknown }> } }): Promise<number> {
  while (claim.mock.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  const jobs = (await claim.mock.calls[0]?.result) as unknown[];
  return jobs.length;
}

/** An `echo` handler that records which jobs ran and holds each one until `gate` opens. */
function gatedRecorder() {
  const gate = deferred();
  const ran: string[] = [];
  const handlers = {
    echo: async ({ job }: HandlerContext) => {
      ran.push(job.id);
      await gate.promise;
      return null;
    },
  };
  return { gate, ran, handlers };
}

/** Starts the worker, waits for its first job to run, cancels `id` (waiting) and returns the job:lost event. */
async function cancelWhileWaiting(h: Harness, worker: Worker, id: string) {
  const started = worker.once('job:started');
  await worker.start();
  await started;
  const lost = worker.once('job:lost');
  await h.backend.cancel({ id });
  return lost;
}

describe('Worker prefetch', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(() => h.cleanup());

  test('claims concurrency + prefetch at once, runs no more than concurrency, in claim order', async (t) => {
    const claim = t.mock.method(h.backend, 'claim');
    const jobs = await h.enqueue(...Array.from({ length: 6 }, (_, i) => ({ input: i, priority: -i })));
    let active = 0;
    let maxActive = 0;
    const order: number[] = [];
    const worker = h.worker({
      concurrency: 2,
      prefetch: 3,
      handlers: {
        echo: async ({ job }: HandlerContext) => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          order.push(job.input as number);
          await new Promise((resolve) => setTimeout(resolve, 2));
          active -= 1;
          return job.input;
        },
      },
    });
    const succeeded = collect(worker, 'job:succeeded', 6);
    await worker.start();
    assert.equal(await firstClaim(claim), 5);
    assert.equal(claim.mock.calls[0]?.arguments[0].limit, 5);
    await succeeded;
    assert.equal(maxActive, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
    for (const job of jobs) assert.equal((await h.job(job.id)).status, 'succeeded');
  });

  test('a waiting job does not start before a slot frees, and its duration counts from its start', async () => {
    const gate = deferred();
    const [, second] = await h.enqueue({ input: 'first', priority: 1 }, { input: 'second' });
    const worker = h.worker({
      concurrency: 1,
      prefetch: 1,
      handlers: { echo: ({ job }: HandlerContext) => gate.promise.then(() => job.input) },
    });
    const started = collect(worker, 'job:started', 1);
    await worker.start();
    await started;
    assert.equal((await h.job(second!.id)).status, 'running'); // claimed, under lease, waiting
    assert.equal(worker.activeCount, 1);
    const secondStarted = worker.once('job:started', ({ job }) => job.id === second!.id);
    h.clock.advance(500);
    const succeeded = collect(worker, 'job:succeeded', 2);
    gate.resolve();
    await secondStarted;
    const events = await succeeded;
    const secondDone = events.find(({ job }) => job.id === second!.id);
    assert.equal(secondDone?.durationMs, 0); // the 500 ms it waited are not its run time
  });

  test('heartbeats extend the leases of waiting jobs too', async (t) => {
    const heartbeat = t.mock.method(h.backend, 'heartbeat');
    const gate = deferred();
    await h.enqueue({ priority: 1 }, {}, {});
    const worker = h.worker({ concurrency: 1, prefetch: 2, handlers: { echo: () => gate.promise } });
    const started = worker.once('job:started');
    await worker.start();
    await started;
    while (heartbeat.mock.callCount() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(heartbeat.mock.calls[0]?.arguments[0].leases.length, 3);
    gate.resolve();
  });

  test('a waiting job that is cancelled never runs and writes nothing; the others go on', async (t) => {
    const complete = t.mock.method(h.backend, 'complete');
    const { gate, ran, handlers } = gatedRecorder();
    const [, victim, third] = await h.enqueue({ priority: 2 }, { priority: 1 }, {});
    const worker = h.worker({ concurrency: 1, prefetch: 2, handlers });
    const event = await cancelWhileWaiting(h, worker, victim!.id);
    assert.equal(event.job.id, victim!.id);
    assert.equal(event.reason.code, ErrorCodes.cancelled);

    const thirdDone = worker.once('job:succeeded', ({ job }) => job.id === third!.id);
    gate.resolve();
    await thirdDone;
    assert.ok(!ran.includes(victim!.id));
    const written = complete.mock.calls.flatMap((call) => call.arguments[0].items.map((item) => item.id));
    assert.ok(!written.includes(victim!.id));
    assert.equal((await h.job(victim!.id)).status, 'cancelled');
  });

  test('a cancelled job deep in the line is dropped at once, while every slot is busy', async () => {
    const { gate, ran, handlers } = gatedRecorder();
    const [, second, victim, fourth] = await h.enqueue({ priority: 9 }, { priority: 8 }, { priority: 7 }, { priority: 6 });
    const worker = h.worker({ concurrency: 1, prefetch: 3, handlers });
    assert.equal((await cancelWhileWaiting(h, worker, victim!.id)).job.id, victim!.id);
    assert.equal(worker.activeCount, 1);

    const rest = collect(worker, 'job:succeeded', 3);
    gate.resolve();
    await rest;
    assert.deepEqual(ran.slice(1), [second!.id, fourth!.id]);
  });

  test('stop() hands waiting jobs back at once, without waiting for the grace period', async () => {
    const gate = deferred();
    const [running, ...waiting] = await h.enqueue({ priority: 5 }, {}, {});
    const worker = h.worker({ concurrency: 1, prefetch: 2, handlers: { echo: () => gate.promise.then(() => 'done') } });
    const started = worker.once('job:started');
    await worker.start();
    await started;
    const released = collect(worker, 'job:released', 2);
    const stopped = worker.stop({ graceMs: 60_000 });
    const releasedIds = (await released).map(({ job }) => job.id).sort();
    assert.deepEqual(releasedIds, waiting.map((job) => job.id).sort());
    for (const job of waiting) {
      const stored = await h.job(job.id);
      assert.equal(stored.status, 'queued');
      assert.equal(stored.attempts, 0);
    }
    assert.equal((await h.job(running!.id)).status, 'running'); // still inside its grace period
    gate.resolve();
    await stopped;
    assert.equal((await h.job(running!.id)).status, 'succeeded');
  });

  test('stop() called from a job:started listener hands the rest of the line back and does not hang', {
    timeout: 10_000,
  }, async () => {
    const jobs = await h.enqueue(...Array.from({ length: 6 }, (_, i) => ({ input: i, priority: 10 - i })));
    const worker = h.worker({ concurrency: 2, prefetch: 4, handlers: { echo: ({ job }: HandlerContext) => job.input } });
    let stopping: Promise<void> | undefined;
    // The first start happens inside a dispatch that is starting a second job in the same pass.
    worker.on('job:started', () => {
      stopping ??= worker.stop({ graceMs: 1_000 });
    });
    await worker.start();
    while (!stopping) await new Promise((resolve) => setImmediate(resolve));
    await stopping;
    const stored = await Promise.all(jobs.map((job) => h.job(job.id)));
    const statuses = stored.map((job) => job.status);
    assert.ok(
      statuses.every((status) => status === 'succeeded' || status === 'queued'),
      statuses.join(','),
    );
    for (const job of stored) if (job.status === 'queued') assert.equal(job.attempts, 0);
    assert.ok(statuses.filter((status) => status === 'queued').length >= 4, statuses.join(','));
  });

  test('a type with its own concurrency limit is not claimed ahead of it', async (t) => {
    const claim = t.mock.method(h.backend, 'claim');
    const gate = deferred();
    await h.enqueue(...Array.from({ length: 4 }, () => ({ type: 'gpu' })));
    const worker = h.worker({
      concurrency: 4,
      prefetch: 4,
      handlers: { gpu: { handle: () => gate.promise, concurrency: 1 } },
    });
    const started = worker.once('job:started');
    await worker.start();
    await started;
    assert.equal(await firstClaim(claim), 1);
    assert.equal(claim.mock.calls[0]?.arguments[0].limit, 1);
    gate.resolve();
  });

  test('rejects a negative or fractional prefetch, naming the option', () => {
    for (const prefetch of [-1, 1.5]) {
      assert.throws(
        () => new Worker(h.backend, { handlers: { echo: () => null }, prefetch }),
        (error: unknown) => error instanceof SluiceError && error.code === ErrorCodes.config && error.field === 'prefetch',
      );
    }
  });
});
