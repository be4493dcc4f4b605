import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { JobEvent } from '../../../src/core/backend.js';
import { ErrorCodes } from '../../../src/core/errors.js';
import type { HandlerContext } from '../../../src/worker/handler.js';
import { sleep } from '../../../src/worker/sleep.js';
import type { WorkerLogger } from '../../../src/worker/worker-options.js';
import { aborted, deferred, type Harness, makeHarness } from './harness.js';

/** The chunks of a job's `job.output.delta` events, in order. */
function deltaChunks(events: JobEvent[]): unknown[] {
  return events.filter((e) => e.type === 'job.output.delta').flatMap((e) => (e.data as { chunks: unknown[] }).chunks);
}

async function eventsOf(h: Harness, id: string): Promise<JobEvent[]> {
  const events = await h.backend.jobEvents({ id });
  if (!events) throw new Error(`no events for ${id}`);
  return events;
}

describe('Worker: ctx.emit (partial output in the event log)', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(() => h.cleanup());

  test('chunks reach the log in order, in far fewer writes than chunks, all before job.succeeded', async (t) => {
    const append = t.mock.method(h.backend, 'appendOutput');
    const [job] = await h.enqueue({});
    const tokens = Array.from({ length: 200 }, (_, i) => `t${i} `);
    const worker = h.worker({
      emitFlushMs: 20,
      handlers: {
        echo: async ({ emit }: HandlerContext) => {
          for (const [i, token] of tokens.entries()) {
            emit(token);
            if (i % 10 === 9) await sleep(1);
          }
          return tokens.join('');
        },
      },
    });
    const succeeded = worker.once('job:succeeded');
    await worker.start();
    await succeeded;
    const events = await eventsOf(h, job!.id);
    assert.equal(deltaChunks(events).join(''), tokens.join(''));
    assert.equal((await h.job(job!.id)).output, tokens.join(''));
    const types = events.map((e) => e.type);
    assert.equal(types.at(-1), 'job.succeeded');
    assert.ok(types.indexOf('job.output.delta') > types.indexOf('job.started'));
    assert.equal(append.mock.callCount(), types.filter((type) => type === 'job.output.delta').length);
    assert.ok(append.mock.callCount() < 20, `${append.mock.callCount()} appendOutput calls for 200 chunks`);
    for (const event of events.filter((e) => e.type === 'job.output.delta')) assert.equal(event.attempt, 1);
  });

  test('chunks emitted just before a handler returns or throws are written before the result', async () => {
    const [ok, bad] = await h.enqueue({ input: 'ok' }, { input: 'bad', maxAttempts: 1 });
    const worker = h.worker({
      emitFlushMs: 60_000, // only the end of the attempt can write them
      handlers: {
        echo: ({ job, emit }: HandlerContext<string>) => {
          emit('first');
          emit(`last of ${job.input}`);
          if (job.input === 'bad') throw new Error('boom');
          return 'done';
        },
      },
    });
    const succeeded = worker.once('job:succeeded');
    const failed = worker.once('job:failed');
    await worker.start();
    await Promise.all([succeeded, failed]);
    for (const [job, end] of [
      [ok!, 'job.succeeded'],
      [bad!, 'job.failed'],
    ] as const) {
      const events = await eventsOf(h, job.id);
      assert.deepEqual(deltaChunks(events), ['first', `last of ${job.input}`]);
      assert.equal(events.at(-1)?.type, end);
    }
  });

  test('a write that finds the lease gone aborts the handler (reason lease lost) and stores nothing', async () => {
    const [job] = await h.enqueue({ maxAttempts: 1 });
    const started = deferred();
    const proceed = deferred();
    let reason: unknown;
    const worker = h.worker({
      heartbeatMs: 500, // the write, not a heartbeat, must find the lease gone
      handlers: {
        echo: async ({ emit, signal }: HandlerContext) => {
          started.resolve();
          await proceed.promise;
          emit('too late');
          reason = await aborted(signal);
          assert.throws(() => emit('after'), { code: ErrorCodes.leaseLost });
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
    const event = await lost;
    assert.equal(event.reason.code, ErrorCodes.leaseLost);
    assert.equal((reason as { code?: string }).code, ErrorCodes.leaseLost);
    assert.deepEqual(deltaChunks(await eventsOf(h, job!.id)), []);
  });

  test('a bad chunk throws at the handler, naming chunk; the job and its other chunks go on', async () => {
    const [job] = await h.enqueue({});
    let thrown: unknown;
    const worker = h.worker({
      handlers: {
        echo: ({ emit }: HandlerContext) => {
          emit('a');
          try {
            emit({ score: Number.NaN });
          } catch (error) {
            thrown = error;
          }
          emit('b');
          return 'ab';
        },
      },
    });
    const succeeded = worker.once('job:succeeded');
    await worker.start();
    await succeeded;
    assert.equal((thrown as { code?: string }).code, ErrorCodes.validation);
    assert.equal((thrown as { field?: string }).field, 'chunk');
    assert.match((thrown as Error).message, /emit: chunk\.score: must be a finite number/);
    assert.deepEqual(deltaChunks(await eventsOf(h, job!.id)), ['a', 'b']);
  });

  test('emit from a handler that has returned throws LeaseLostError', async () => {
    await h.enqueue({});
    let stashed: ((chunk: unknown) => void) | undefined;
    const worker = h.worker({
      handlers: {
        echo: ({ emit }: HandlerContext) => {
          stashed = emit;
          return 'done';
        },
      },
    });
    const succeeded = worker.once('job:succeeded');
    await worker.start();
    await succeeded;
    assert.throws(() => stashed?.('late'), { code: ErrorCodes.leaseLost });
  });

  test('progress calls close together cost one write; the latest value is stored, every call resolves', async (t) => {
    const report = t.mock.method(h.backend, 'reportProgress');
    const [job] = await h.enqueue({});
    let later: Array<Promise<void>> = [];
    const worker = h.worker({
      emitFlushMs: 60_000, // after the first write, only the end of the attempt writes
      handlers: {
        echo: async ({ progress }: HandlerContext) => {
          await progress(1); // the first write goes at once
          later = [2, 3, 4].map((p) => progress(p));
          return 'done';
        },
      },
    });
    const succeeded = worker.once('job:succeeded');
    await worker.start();
    await succeeded;
    await Promise.all(later);
    assert.deepEqual(
      report.mock.calls.map((call) => call.arguments[0].progress),
      [1, 4],
    );
    const events = await eventsOf(h, job!.id);
    assert.deepEqual(
      events.filter((e) => e.type === 'job.progress').map((e) => e.data),
      [{ progress: 1 }, { progress: 4 }],
    );
  });

  test('a backend without an event log drops chunks and warns once per worker; jobs succeed', async (t) => {
    (h.backend.capabilities as { eventLog?: boolean }).eventLog = false;
    const append = t.mock.method(h.backend, 'appendOutput');
    const warnings: string[] = [];
    const logger: WorkerLogger = { info: () => {}, error: () => {}, warn: (_details, message) => warnings.push(message ?? '') };
    const jobs = await h.enqueue({}, {});
    const worker = h.worker({
      logger,
      handlers: {
        echo: ({ emit }: HandlerContext) => {
          emit('a');
          emit('b');
          return 'ab';
        },
      },
    });
    let done = 0;
    const both = new Promise<void>((resolve) => worker.on('job:succeeded', () => ++done === 2 && resolve()));
    await worker.start();
    await both;
    assert.equal(append.mock.callCount(), 0);
    assert.equal(warnings.filter((message) => message.includes('capabilities.eventLog')).length, 1);
    for (const job of jobs) assert.equal((await h.job(job.id)).output, 'ab');
  });

  test('emit options out of range are refused when the worker is made', () => {
    assert.throws(() => h.worker({ emitFlushMs: -1, handlers: { echo: () => 1 } }), { field: 'emitFlushMs' });
    assert.throws(() => h.worker({ emitMaxChunks: 0, handlers: { echo: () => 1 } }), { field: 'emitMaxChunks' });
    assert.throws(() => h.worker({ emitMaxBytes: 1.5, handlers: { echo: () => 1 } }), { field: 'emitMaxBytes' });
  });
});
