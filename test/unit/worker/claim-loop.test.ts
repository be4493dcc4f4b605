import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ClaimParams } from '../../../src/core/backend.js';
import { ErrorCodes, SluiceError } from '../../../src/core/errors.js';
import type { HandlerContext } from '../../../src/worker/handler.js';
import { collect, deferred, type Harness, makeHarness, watchClaims } from './harness.js';

describe('Worker claim loop', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(() => h.cleanup());

  test('claims N waiting jobs at concurrency N in one claim call', async (t) => {
    const claim = t.mock.method(h.backend, 'claim');
    const gate = deferred();
    const jobs = await h.enqueue(...Array.from({ length: 5 }, (_, i) => ({ input: i })));
    const worker = h.worker({ concurrency: 5, handlers: { echo: () => gate.promise } });
    const started = collect(worker, 'job:started', 5);
    await worker.start();
    await started;

    assert.equal(claim.mock.callCount(), 1);
    const params = claim.mock.calls[0]?.arguments[0] as ClaimParams;
    assert.equal(params.limit, 5);
    assert.deepEqual(params.types, ['echo']);
    assert.deepEqual(params.queues, ['default']);
    assert.equal(params.workerId, worker.id);

    const succeeded = collect(worker, 'job:succeeded', 5);
    gate.resolve();
    await succeeded;
    for (const job of jobs) assert.equal((await h.job(job.id)).status, 'succeeded');
  });

  test('a freed slot does not claim again after a claim found the queue empty; news of work does', async (t) => {
    const claim = t.mock.method(h.backend, 'claim');
    const gate = deferred();
    await h.enqueue({ input: 1 }, { input: 2 });
    // No poll in this test: only wake-ups make the worker claim.
    const worker = h.worker({ concurrency: 5, pollIntervalMs: 60_000, handlers: { echo: () => gate.promise } });
    const started = collect(worker, 'job:started', 2);
    await worker.start();
    await started;
    assert.equal(claim.mock.callCount(), 1, 'one claim of 5 found the 2 jobs: the queue is empty');

    const succeeded = collect(worker, 'job:succeeded', 2);
    gate.resolve();
    await succeeded;
    const third = collect(worker, 'job:succeeded', 1);
    const [job] = await h.enqueue({ input: 3 });
    assert.equal((await third)[0]!.job.id, job!.id);
    assert.equal(claim.mock.callCount(), 2, 'the two freed slots claimed nothing; the enqueue claimed once');
  });

  test('never runs more handlers at once than its concurrency', async () => {
    let active = 0;
    let maxActive = 0;
    const worker = h.worker({
      concurrency: 3,
      handlers: {
        echo: async ({ job }: HandlerContext) => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          await new Promise((resolve) => setTimeout(resolve, 2));
          active -= 1;
          return job.input;
        },
      },
    });
    await h.enqueue(...Array.from({ length: 20 }, (_, i) => ({ input: i })));
    const succeeded = collect(worker, 'job:succeeded', 20);
    await worker.start();
    await succeeded;
    assert.equal(maxActive, 3);
  });

  test('refills slots freed in the same burst with one claim, not one claim per slot', async (t) => {
    const claim = t.mock.method(h.backend, 'claim');
    await h.enqueue(...Array.from({ length: 40 }, (_, i) => ({ input: i })));
    const worker = h.worker({ concurrency: 10, handlers: { echo: ({ job }: HandlerContext) => job.input } });
    const succeeded = collect(worker, 'job:succeeded', 40);
    await worker.start();
    await succeeded;
    const limits = claim.mock.calls.map((call) => call.arguments[0].limit);
    // 4 full batches, plus at most a couple of empty looks once the queue ran dry.
    assert.ok(claim.mock.callCount() <= 6, `claim limits: ${limits.join(',')}`);
    assert.deepEqual(limits.slice(0, 4), [10, 10, 10, 10]);
  });

  test('keeps a per-type concurrency within the worker-wide one', async () => {
    let activeGpu = 0;
    let maxGpu = 0;
    let maxTotal = 0;
    let total = 0;
    const track = async (isGpu: boolean) => {
      total += 1;
      if (isGpu) activeGpu += 1;
      maxGpu = Math.max(maxGpu, activeGpu);
      maxTotal = Math.max(maxTotal, total);
      await new Promise((resolve) => setTimeout(resolve, 2));
      total -= 1;
      if (isGpu) activeGpu -= 1;
    };
    const worker = h.worker({
      concurrency: 4,
      handlers: { gpu: { handle: () => track(true), concurrency: 1 }, echo: () => track(false) },
    });
    await h.enqueue(...Array.from({ length: 6 }, () => ({ type: 'gpu' })), ...Array.from({ length: 6 }, () => ({})));
    const succeeded = collect(worker, 'job:succeeded', 12);
    await worker.start();
    await succeeded;
    assert.equal(maxGpu, 1);
    assert.ok(maxTotal <= 4);
  });

  test('wakes at once on an enqueue in this process, without waiting for the poll timer', async (t) => {
    const claim = t.mock.method(h.backend, 'claim');
    const worker = h.worker({ pollIntervalMs: 60_000, handlers: { echo: () => 'ok' } });
    await worker.start();
    // Let the first (empty) claim happen, so that the worker is asleep.
    while (claim.mock.callCount() === 0) await new Promise((resolve) => setImmediate(resolve));
    const succeeded = worker.once('job:succeeded');
    const [job] = await h.enqueue({});
    const { job: done } = await succeeded;
    assert.equal(done.id, job?.id);
  });

  test('finds work that no event announced with the idle poll (a delayed job coming due)', async (t) => {
    const claims = watchClaims(t, h.backend);
    const [job] = await h.enqueue({ delayMs: 5_000 });
    const worker = h.worker({ handlers: { echo: () => 'late' } });
    await worker.start();
    // The claim at start and one poll after it: the job is not due, so neither takes it.
    await claims.reached(worker.id, 2);
    assert.equal((await h.job(job!.id)).status, 'scheduled');
    const succeeded = worker.once('job:succeeded');
    h.clock.advance(5_000);
    await succeeded;
    assert.equal((await h.job(job!.id)).output, 'late');
  });

  test('does not claim from a paused queue, and wakes when it is resumed', async (t) => {
    const claims = watchClaims(t, h.backend);
    await h.backend.pauseQueue({ queue: 'default', paused: true });
    const [job] = await h.enqueue({});
    const worker = h.worker({ pollIntervalMs: 60_000, handlers: { echo: () => 'ok' } });
    await worker.start();
    // The claim at start looked at the paused queue (no poll follows within the test).
    await claims.reached(worker.id, 1);
    assert.equal((await h.job(job!.id)).status, 'queued');
    const succeeded = worker.once('job:succeeded');
    await h.backend.pauseQueue({ queue: 'default', paused: false });
    await succeeded;
  });

  test('a claim error is reported and retried; the loop goes on', async (t) => {
    const claim = t.mock.method(h.backend, 'claim');
    claim.mock.mockImplementationOnce(async () => {
      throw new SluiceError(ErrorCodes.backendUnavailable, 'database is locked');
    });
    const [job] = await h.enqueue({ input: 'x' });
    const worker = h.worker({ handlers: { echo: ({ job }: HandlerContext) => job.input } });
    const error = worker.once('error');
    const succeeded = worker.once('job:succeeded');
    await worker.start();
    const reported = await error;
    assert.equal(reported.during, 'claim');
    assert.equal((reported.error as SluiceError).code, ErrorCodes.backendUnavailable);
    await succeeded;
    assert.equal((await h.job(job!.id)).status, 'succeeded');
  });

  test('sends one heartbeat call for every held lease', async (t) => {
    const heartbeat = t.mock.method(h.backend, 'heartbeat');
    const gate = deferred();
    await h.enqueue({}, {}, {});
    const worker = h.worker({ concurrency: 3, handlers: { echo: () => gate.promise } });
    const started = collect(worker, 'job:started', 3);
    await worker.start();
    await started;
    while (heartbeat.mock.callCount() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const params = heartbeat.mock.calls[0]?.arguments[0];
    assert.equal(params?.leases.length, 3);
    assert.equal(params?.leaseMs, 1_000);
    gate.resolve();
  });

  test('a heartbeat error is reported and the next beat goes on', async (t) => {
    const heartbeat = t.mock.method(h.backend, 'heartbeat');
    heartbeat.mock.mockImplementationOnce(async () => {
      throw new SluiceError(ErrorCodes.backendUnavailable, 'connection lost');
    });
    const logged: string[] = [];
    const gate = deferred();
    await h.enqueue({});
    const worker = h.worker({
      handlers: { echo: () => gate.promise.then(() => 'ok') },
      logger: { info: () => {}, warn: (_details, message) => logged.push(message ?? ''), error: () => {} },
    });
    const error = worker.once('error');
    await worker.start();
    assert.equal((await error).during, 'heartbeat');
    while (heartbeat.mock.callCount() < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(await heartbeat.mock.calls[1]?.result, { lost: [] });
    assert.ok(logged.includes('backend heartbeat failed'));
    const succeeded = worker.once('job:succeeded');
    gate.resolve();
    await succeeded;
  });

  test('a job whose type has no handler is failed permanently (SLUICE_NO_HANDLER)', async (t) => {
    // Simulate a backend that ignores the type filter: the worker must still end the job.
    const original = h.backend.claim.bind(h.backend);
    t.mock.method(h.backend, 'claim', (params: ClaimParams) => original({ ...params, types: undefined }));
    const [job] = await h.enqueue({ type: 'mystery' });
    const worker = h.worker({ handlers: { echo: () => 'ok' } });
    const failed = worker.once('job:failed');
    await worker.start();
    const { error } = await failed;
    assert.equal(error.code, ErrorCodes.noHandler);
    const stored = await h.job(job!.id);
    assert.equal(stored.status, 'failed');
    assert.equal(stored.error?.permanent, true);
  });

  test('rejects options out of range, naming the option', () => {
    assert.throws(() => h.worker({ concurrency: 0, handlers: { echo: () => 1 } }), {
      code: ErrorCodes.config,
      field: 'concurrency',
    });
    assert.throws(() => h.worker({ leaseMs: 100, heartbeatMs: 100, handlers: { echo: () => 1 } }), { field: 'heartbeatMs' });
    assert.throws(() => h.worker({ handlers: {} }), { field: 'handlers' });
  });
});
