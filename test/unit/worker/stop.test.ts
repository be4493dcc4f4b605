import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ErrorCodes } from '../../../src/core/errors.js';
import type { HandlerContext } from '../../../src/worker/handler.js';
import { aborted, collect, deferred, type Harness, makeHarness, watchClaims } from './harness.js';

/** Timers and immediates alive in this process (what would keep it from exiting). */
function liveTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout' || kind === 'Immediate').length;
}

describe('Worker stop', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(() => h.cleanup());

  test('lets in-flight jobs finish within the grace period and claims nothing more', async (t) => {
    const [job] = await h.enqueue({});
    const claims = watchClaims(t, h.backend);
    const worker = h.worker({
      handlers: {
        echo: async () => {
          await new Promise((resolve) => setTimeout(resolve, 40));
          return 'finished in time';
        },
      },
    });
    const started = worker.once('job:started');
    await worker.start();
    await started;
    const claimsBeforeStop = claims.count(worker.id);
    await worker.stop({ graceMs: 2_000 });

    assert.equal(worker.state, 'stopped');
    const stored = await h.job(job!.id);
    assert.equal(stored.status, 'succeeded');
    assert.equal(stored.output, 'finished in time');
    // A second worker with the same poll interval hears the same enqueue, runs the job and polls
    // again: by then the stopped one had both chances to claim (the event and its poll timer).
    const other = h.worker({ handlers: { echo: () => 'taken by the other worker' } });
    const ran = other.once('job:succeeded');
    await other.start();
    await claims.reached(other.id, 1);
    const [late] = await h.enqueue({});
    await claims.reached(other.id, 4);
    assert.equal(claims.count(worker.id), claimsBeforeStop, 'the stopping or stopped worker claimed again');
    assert.equal((await ran).job.id, late!.id);
  });

  test('aborts (reason: shutdown) and releases a job that outlives the grace period', async () => {
    const [job] = await h.enqueue({});
    let reason: unknown;
    const worker = h.worker({
      handlers: {
        echo: async ({ signal }: HandlerContext) => {
          reason = await aborted(signal);
          throw new Error('gave up');
        },
      },
    });
    const started = worker.once('job:started');
    const released = worker.once('job:released');
    await worker.start();
    await started;
    await worker.stop({ graceMs: 20 });

    assert.equal((await released).job.id, job!.id);
    assert.equal((reason as { code?: string }).code, ErrorCodes.shuttingDown);
    const stored = await h.job(job!.id);
    assert.equal(stored.status, 'queued');
    assert.equal(stored.attempts, 0); // a released attempt does not count
    assert.equal(stored.error, undefined);
  });

  test('a handler that ignores the abort signal does not keep stop() waiting', async () => {
    const [job] = await h.enqueue({});
    const worker = h.worker({ handlers: { echo: () => new Promise(() => {}) } });
    const started = worker.once('job:started');
    await worker.start();
    await started;
    const before = Date.now();
    await worker.stop({ graceMs: 20 });
    assert.ok(Date.now() - before < 1_000);
    assert.equal((await h.job(job!.id)).status, 'queued');
  });

  test('a job that ends during the grace period is written, the rest released', async () => {
    const [quick, slow] = await h.enqueue({ input: 'quick' }, { input: 'slow' });
    const worker = h.worker({
      handlers: {
        echo: async ({ job, signal }: HandlerContext) => {
          if (job.input === 'quick') {
            await new Promise((resolve) => setTimeout(resolve, 10));
            return 'quick done';
          }
          await aborted(signal);
          return 'too late';
        },
      },
    });
    const started = collect(worker, 'job:started', 2);
    await worker.start();
    await started;
    await worker.stop({ graceMs: 100 });
    assert.equal((await h.job(quick!.id)).status, 'succeeded');
    const stored = await h.job(slow!.id);
    assert.equal(stored.status, 'queued');
    assert.equal(stored.output, undefined);
  });

  test('stop() is idempotent and leaves no timer behind', async () => {
    const baseline = liveTimers();
    await h.enqueue({}, {});
    const worker = h.worker({ handlers: { echo: () => 'ok' } });
    const succeeded = collect(worker, 'job:succeeded', 2);
    await worker.start();
    await succeeded;
    const first = worker.stop();
    const second = worker.stop();
    assert.equal(first, second);
    await first;
    await worker.stop();
    assert.equal(worker.state, 'stopped');
    // Let any timer callbacks that were already due run out.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(liveTimers(), baseline);
    await assert.rejects(worker.start(), { code: ErrorCodes.shuttingDown });
  });

  test('stop() before start() resolves at once', async () => {
    const worker = h.worker({ handlers: { echo: () => 'ok' } });
    await worker.stop();
    assert.equal(worker.state, 'stopped');
  });

  test('emits stopped once everything has settled', async () => {
    const gate = deferred();
    await h.enqueue({});
    const worker = h.worker({ handlers: { echo: () => gate.promise.then(() => 'done') } });
    const started = worker.once('job:started');
    const stopped = worker.once('stopped');
    await worker.start();
    await started;
    const stopping = worker.stop({ graceMs: 1_000 });
    assert.equal(worker.state, 'stopping');
    gate.resolve();
    await stopping;
    await stopped;
    assert.equal(worker.activeCount, 0);
  });
});
