import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ErrorCodes, LeaseLostError } from '../../../src/core/errors.js';
import type { HandlerContext } from '../../../src/worker/handler.js';
import { aborted, deferred, type Harness, makeHarness } from './harness.js';

describe('Worker aborts', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(() => h.cleanup());

  test('a timeout aborts the handler (SLUICE_TIMEOUT) and the job is retried', async () => {
    const [job] = await h.enqueue({ timeoutMs: 30, maxAttempts: 3 });
    const reasons: unknown[] = [];
    const worker = h.worker({
      handlers: {
        echo: async ({ signal, job }: HandlerContext) => {
          if (job.attempts === 1) {
            reasons.push(await aborted(signal));
            throw new Error('aborted by signal');
          }
          return 'fast enough';
        },
      },
    });
    const retry = worker.once('job:retry');
    const succeeded = worker.once('job:succeeded');
    await worker.start();
    const { error } = await retry;
    assert.equal(error.code, ErrorCodes.timeout);
    await succeeded;
    assert.equal((reasons[0] as { code?: string }).code, ErrorCodes.timeout);
    const stored = await h.job(job!.id);
    assert.equal(stored.status, 'succeeded');
    assert.equal(stored.attempts, 2);
  });

  test('a handler timeout applies when the job gives none', async () => {
    await h.enqueue({ maxAttempts: 1 });
    const worker = h.worker({ handlers: { echo: { handle: () => new Promise(() => {}), timeoutMs: 20 } } });
    const failed = worker.once('job:failed');
    await worker.start();
    assert.equal((await failed).error.code, ErrorCodes.timeout);
  });

  test('a timed-out handler that ignores the signal does not keep its slot', async () => {
    await h.enqueue({ timeoutMs: 20, maxAttempts: 1 }, { input: 'next' });
    const worker = h.worker({
      concurrency: 1,
      handlers: { echo: ({ job }: HandlerContext) => (job.input === 'next' ? 'ran' : new Promise(() => {})) },
    });
    const failed = worker.once('job:failed');
    const succeeded = worker.once('job:succeeded');
    await worker.start();
    await failed;
    assert.equal((await succeeded).output, 'ran');
  });

  test('cancelling a running job aborts its handler at once, and the attempt writes nothing', async (t) => {
    const complete = t.mock.method(h.backend, 'complete');
    const fail = t.mock.method(h.backend, 'fail');
    const [job] = await h.enqueue({});
    const started = deferred();
    let reason: unknown;
    const worker = h.worker({
      heartbeatMs: 500, // the event, not a heartbeat, must do it
      handlers: {
        echo: async ({ signal }: HandlerContext) => {
          started.resolve();
          reason = await aborted(signal);
          return 'finished anyway';
        },
      },
    });
    const lost = worker.once('job:lost');
    await worker.start();
    await started.promise;
    await h.backend.cancel({ id: job!.id });
    const event = await lost;
    assert.equal(event.reason.code, ErrorCodes.cancelled);
    assert.equal((reason as { code?: string }).code, ErrorCodes.cancelled);
    // stop() resolves once every attempt has ended and every write is made: the handler's late
    // result had its chance to be written.
    await worker.stop();
    assert.equal(complete.mock.callCount(), 0);
    assert.equal(fail.mock.callCount(), 0);
    assert.equal((await h.job(job!.id)).status, 'cancelled');
  });

  test('a lost lease (expired and reclaimed) aborts the handler on the next heartbeat and writes nothing', async (t) => {
    const heartbeat = t.mock.method(h.backend, 'heartbeat');
    const complete = t.mock.method(h.backend, 'complete');
    const fail = t.mock.method(h.backend, 'fail');
    // One attempt only: the reclaim ends the job, so no new claim can be what aborts the handler.
    const [job] = await h.enqueue({ maxAttempts: 1 });
    const started = deferred();
    let reason: unknown;
    const worker = h.worker({
      handlers: {
        echo: async ({ signal }: HandlerContext) => {
          started.resolve();
          reason = await aborted(signal);
          return 'stale result';
        },
      },
    });
    const lost = worker.once('job:lost');
    await worker.start();
    await started.promise;
    h.clock.advance(5_000);
    assert.deepEqual(await h.backend.reclaimExpired(), { requeued: 0, failed: 1 });

    const event = await lost;
    assert.equal(event.reason.code, ErrorCodes.leaseLost);
    assert.equal((reason as { code?: string }).code, ErrorCodes.leaseLost);
    const lastBeat = await heartbeat.mock.calls.at(-1)?.result;
    assert.deepEqual(lastBeat, { lost: [job!.id] });
    // stop() resolves once every attempt has ended and every write is made.
    await worker.stop();
    assert.equal(complete.mock.callCount(), 0);
    assert.equal(fail.mock.callCount(), 0);
    const stored = await h.job(job!.id);
    assert.equal(stored.status, 'failed');
    assert.equal(stored.error?.code, ErrorCodes.leaseExpired);
  });

  test('after a lease is reclaimed and the job claimed again, the stale attempt is aborted and writes nothing', async (t) => {
    const complete = t.mock.method(h.backend, 'complete');
    const fail = t.mock.method(h.backend, 'fail');
    const [job] = await h.enqueue({ maxAttempts: 3 });
    const firstStarted = deferred<string>();
    let firstReason: unknown;
    const worker = h.worker({
      handlers: {
        echo: async ({ signal, job }: HandlerContext) => {
          if (job.attempts > 1) return 'second attempt';
          firstStarted.resolve(job.leaseToken);
          firstReason = await aborted(signal);
          return 'stale result';
        },
      },
    });
    const lost = worker.once('job:lost');
    const succeeded = worker.once('job:succeeded');
    await worker.start();
    const staleToken = await firstStarted.promise;

    // The worker stalls past its lease (as far as the backend can tell) and the reaper runs.
    h.clock.advance(5_000);
    assert.deepEqual(await h.backend.reclaimExpired(), { requeued: 1, failed: 0 });

    const { reason } = await lost;
    assert.ok(reason instanceof LeaseLostError);
    assert.equal((firstReason as { code?: string }).code, ErrorCodes.leaseLost);
    const done = await succeeded;
    assert.equal(done.output, 'second attempt');
    const stored = await h.job(job!.id);
    assert.equal(stored.status, 'succeeded');
    assert.equal(stored.output, 'second attempt');
    assert.equal(stored.attempts, 2);
    const writtenTokens = [
      ...complete.mock.calls.flatMap((call) => call.arguments[0].items.map((item) => item.leaseToken)),
      ...fail.mock.calls.flatMap((call) => call.arguments[0].items.map((item) => item.leaseToken)),
    ];
    assert.ok(!writtenTokens.includes(staleToken), 'the stale attempt wrote');
  });

  test('progress from an attempt that lost its lease rejects with LeaseLostError and aborts the handler', async () => {
    const [job] = await h.enqueue({ maxAttempts: 1 });
    const started = deferred();
    const proceed = deferred();
    let progressError: unknown;
    let signalReason: unknown;
    const worker = h.worker({
      heartbeatMs: 500,
      handlers: {
        echo: async ({ progress, signal }: HandlerContext) => {
          started.resolve();
          await proceed.promise;
          try {
            await progress(50);
          } catch (error) {
            progressError = error;
          }
          signalReason = signal.reason;
          return 'stale';
        },
      },
    });
    const lost = worker.once('job:lost');
    await worker.start();
    await started.promise;
    h.clock.advance(5_000);
    assert.deepEqual(await h.backend.reclaimExpired(), { requeued: 0, failed: 1 });
    proceed.resolve();
    await lost;
    assert.equal((progressError as { code?: string }).code, ErrorCodes.leaseLost);
    assert.equal((signalReason as { code?: string }).code, ErrorCodes.leaseLost);
    const stored = await h.job(job!.id);
    assert.equal(stored.status, 'failed');
    assert.equal(stored.error?.code, ErrorCodes.leaseExpired);
    assert.equal(stored.progress, undefined);
  });
});
