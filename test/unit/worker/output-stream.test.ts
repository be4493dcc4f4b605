import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { AppendOutputParams, ProgressParams } from '../../../src/core/backend.js';
import { ErrorCodes, LeaseLostError, SluiceError } from '../../../src/core/errors.js';
import {
  OUTPUT_WRITE_RETRIES,
  OutputStream,
  type OutputStreamLimits,
  type OutputStreamParts,
} from '../../../src/worker/output-stream.js';

/** Lets every pending promise callback run (setImmediate is not among the mocked timers). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

interface Fixture {
  stream: OutputStream;
  appends: unknown[][];
  progress: unknown[];
  errors: Array<{ error: unknown; during: string }>;
  leaseLost: number;
  noEventLog: number;
  /** Writes in flight at once, at most (must stay 1). */
  maxInFlight: number;
}

function fixture(
  options: {
    limits?: Partial<OutputStreamLimits>;
    append?: ((params: AppendOutputParams) => Promise<unknown>) | null;
    report?: (params: ProgressParams) => Promise<void>;
  } = {},
): Fixture {
  let inFlight = 0;
  const f: Fixture = {
    stream: undefined as unknown as OutputStream,
    appends: [],
    progress: [],
    errors: [],
    leaseLost: 0,
    noEventLog: 0,
    maxInFlight: 0,
  };
  const parts: OutputStreamParts = {
    lease: { id: 'job-1', leaseToken: 'token-1' },
    limits: { flushMs: 50, maxChunks: 1000, maxBytes: 64 * 1024, ...options.limits },
    appendOutput:
      options.append === null
        ? undefined
        : async (params) => {
            inFlight += 1;
            f.maxInFlight = Math.max(f.maxInFlight, inFlight);
            try {
              if (options.append) await options.append(params);
              f.appends.push(params.chunks);
              return {};
            } finally {
              inFlight -= 1;
            }
          },
    reportProgress: async (params) => {
      if (options.report) await options.report(params);
      f.progress.push(params.progress);
    },
    onLeaseLost: () => {
      f.leaseLost += 1;
    },
    reportError: (error, during) => {
      f.errors.push({ error, during });
    },
    onNoEventLog: () => {
      f.noEventLog += 1;
    },
  };
  f.stream = new OutputStream(parts);
  return f;
}

function mockTimers(t: TestContext): void {
  t.mock.timers.enable({ apis: ['setTimeout'] });
}

describe('OutputStream (ctx.emit and ctx.progress of one attempt)', () => {
  test('chunks emitted in one turn go out in one appendOutput', async () => {
    const f = fixture();
    for (let i = 0; i < 100; i++) f.stream.emit(`t${i}`);
    await settle();
    assert.equal(f.appends.length, 1);
    assert.equal(f.appends[0]?.length, 100);
    assert.deepEqual(await f.stream.end(), { kind: 'flushed' });
  });

  test('the first write goes at once; later chunks wait for emitFlushMs and go together', async (t) => {
    mockTimers(t);
    const f = fixture();
    f.stream.emit('a');
    await settle();
    assert.deepEqual(f.appends, [['a']]);
    f.stream.emit('b');
    f.stream.emit('c');
    await settle();
    t.mock.timers.tick(49);
    await settle();
    assert.equal(f.appends.length, 1, 'written before emitFlushMs passed');
    t.mock.timers.tick(1);
    await settle();
    assert.deepEqual(f.appends, [['a'], ['b', 'c']]);
  });

  test('500 tokens, one a millisecond, cost 11 appendOutput calls at emitFlushMs 50, in order', async (t) => {
    mockTimers(t);
    const f = fixture();
    const tokens = Array.from({ length: 500 }, (_, i) => `w${i} `);
    for (const token of tokens) {
      f.stream.emit(token);
      await settle();
      t.mock.timers.tick(1);
      await settle();
    }
    assert.deepEqual(await f.stream.end(), { kind: 'flushed' });
    // One at once, then one per 50 ms of the 500 ms stream; end() writes the rest.
    assert.equal(f.appends.length, 11);
    assert.equal(f.appends.flat().join(''), tokens.join(''));
    assert.equal(f.maxInFlight, 1);
  });

  test('never two writes in flight: chunks emitted during a slow write follow it, in order', async () => {
    let release!: () => void;
    let calls = 0;
    const f = fixture({
      limits: { flushMs: 0 },
      append: async () => {
        calls += 1;
        if (calls === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    f.stream.emit(1);
    await settle();
    for (let i = 2; i <= 5; i++) {
      f.stream.emit(i);
      await settle();
    }
    assert.equal(calls, 1, 'a second write started while the first was in flight');
    release();
    await settle();
    assert.deepEqual(await f.stream.end(), { kind: 'flushed' });
    assert.deepEqual(f.appends, [[1], [2, 3, 4, 5]]);
    assert.equal(f.maxInFlight, 1);
  });

  test('a buffer of emitMaxChunks is written without waiting, and no write carries more', async (t) => {
    mockTimers(t);
    const f = fixture({ limits: { maxChunks: 3 } });
    f.stream.emit('a');
    await settle();
    for (const chunk of ['b', 'c', 'd', 'e']) f.stream.emit(chunk);
    await settle();
    await settle();
    assert.deepEqual(f.appends, [['a'], ['b', 'c', 'd']], 'a full buffer waited for the timer');
    t.mock.timers.tick(50);
    await settle();
    assert.deepEqual(f.appends, [['a'], ['b', 'c', 'd'], ['e']]);
  });

  test('emitMaxBytes bounds a write and a chunk', async () => {
    const f = fixture({ limits: { maxBytes: 12 } });
    // Each '"xxxx"' is 6 bytes as JSON: two to a write.
    for (const chunk of ['aaaa', 'bbbb', 'cccc']) f.stream.emit(chunk);
    assert.throws(() => f.stream.emit('x'.repeat(11)), { code: ErrorCodes.validation, field: 'chunk', message: /13 bytes/ });
    assert.deepEqual(await f.stream.end(), { kind: 'flushed' });
    assert.deepEqual(f.appends, [['aaaa', 'bbbb'], ['cccc']]);
  });

  test('a bad chunk throws at once, naming chunk, and the stream goes on', async () => {
    const f = fixture();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    f.stream.emit('before');
    for (const bad of [undefined, () => 1, Number.NaN, 10n, cyclic, { text: 'nul\u0000' }]) {
      assert.throws(() => f.stream.emit(bad), { code: ErrorCodes.validation, field: 'chunk', message: /^emit: chunk/ });
    }
    f.stream.emit({ text: 'after' });
    assert.deepEqual(await f.stream.end(), { kind: 'flushed' });
    assert.deepEqual(f.appends.flat(), ['before', { text: 'after' }]);
  });

  test('an object chunk is copied when emitted (later changes are not written)', async () => {
    const f = fixture();
    const chunk = { text: 'one' };
    f.stream.emit(chunk);
    chunk.text = 'two';
    await f.stream.end();
    assert.deepEqual(f.appends, [[{ text: 'one' }]]);
  });

  test('progress within a window is coalesced: the latest value is written once, every caller resolves', async (t) => {
    mockTimers(t);
    const f = fixture();
    await f.stream.reportProgress(10);
    const later = [f.stream.reportProgress(20), f.stream.reportProgress(30), f.stream.reportProgress(40)];
    await settle();
    assert.deepEqual(f.progress, [10]);
    t.mock.timers.tick(50);
    await Promise.all(later);
    assert.deepEqual(f.progress, [10, 40]);
  });

  test('end() writes what is buffered without waiting for the timer', async (t) => {
    mockTimers(t);
    const f = fixture();
    f.stream.emit('a');
    await settle();
    f.stream.emit('b');
    const progress = f.stream.reportProgress(99);
    assert.deepEqual(await f.stream.end(), { kind: 'flushed' });
    await progress;
    assert.deepEqual(f.appends, [['a'], ['b']]);
    assert.deepEqual(f.progress, [99]);
  });

  test('a write that finds the lease gone ends the stream: lost once, progress rejected, emit throws', async () => {
    const f = fixture({
      append: async () => {
        throw new LeaseLostError('job-1');
      },
    });
    const progress = f.stream.reportProgress(5);
    f.stream.emit('a');
    await assert.rejects(progress, { code: ErrorCodes.leaseLost });
    assert.equal(f.leaseLost, 1);
    assert.deepEqual(f.progress, [], 'progress written after the lease was lost');
    assert.throws(() => f.stream.emit('b'), { code: ErrorCodes.leaseLost });
    await assert.rejects(f.stream.reportProgress(6), { code: ErrorCodes.leaseLost });
    assert.deepEqual(await f.stream.end(), { kind: 'lease_lost' });
  });

  test('a failed write is retried with its chunks first; too many failures in a row fail the stream', async (t) => {
    mockTimers(t);
    let failuresLeft = 2;
    const flaky = fixture({
      append: async () => {
        if (failuresLeft-- > 0) throw new SluiceError(ErrorCodes.backendUnavailable, 'blip');
      },
    });
    flaky.stream.emit('a');
    await settle();
    flaky.stream.emit('b');
    const ended = flaky.stream.end();
    for (let i = 0; i < 10; i++) {
      t.mock.timers.tick(1_000);
      await settle();
    }
    assert.deepEqual(await ended, { kind: 'flushed' });
    assert.deepEqual(flaky.appends.flat(), ['a', 'b']);
    assert.deepEqual(
      flaky.errors.map((e) => e.during),
      ['output', 'output'],
    );

    const down = fixture({
      append: async () => {
        throw new SluiceError(ErrorCodes.backendUnavailable, 'down');
      },
    });
    down.stream.emit('a');
    const downEnded = down.stream.end();
    for (let i = 0; i < 10; i++) {
      t.mock.timers.tick(2_000);
      await settle();
    }
    const end = await downEnded;
    assert.equal(end.kind, 'failed');
    assert.equal(down.errors.length, OUTPUT_WRITE_RETRIES + 1);
  });

  test('progress is best effort: a failed write is reported and the caller resolves', async () => {
    const f = fixture({
      report: async () => {
        throw new SluiceError(ErrorCodes.backendUnavailable, 'blip');
      },
    });
    await f.stream.reportProgress(1);
    assert.deepEqual(
      f.errors.map((e) => e.during),
      ['progress'],
    );
  });

  test('without an event log, chunks are checked and dropped; progress is still written', async () => {
    const f = fixture({ append: null });
    f.stream.emit('a');
    f.stream.emit('b');
    assert.throws(() => f.stream.emit(undefined), { code: ErrorCodes.validation });
    await f.stream.reportProgress(50);
    assert.deepEqual(await f.stream.end(), { kind: 'flushed' });
    assert.equal(f.noEventLog, 2);
    assert.deepEqual(f.appends, []);
    assert.deepEqual(f.progress, [50]);
  });

  test('discard() drops what is buffered and resolves waiting progress', async (t) => {
    mockTimers(t);
    const f = fixture();
    f.stream.emit('a');
    await settle();
    f.stream.emit('b');
    const progress = f.stream.reportProgress(1);
    f.stream.discard();
    await progress;
    t.mock.timers.tick(100);
    await settle();
    assert.deepEqual(f.appends, [['a']]);
    assert.deepEqual(f.progress, []);
  });
});
