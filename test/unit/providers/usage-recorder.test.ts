import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RecordUsageParams, UsageEntry } from '../../../src/core/usage.js';
import { UsageRecorder, usageRecorderFor } from '../../../src/providers/usage-recorder.js';

const entry = (jobId: string): UsageEntry => ({
  jobId,
  queue: 'q',
  type: 'chat',
  provider: 'p',
  model: 'm',
  inputTokens: 1,
  outputTokens: 1,
});

function sink() {
  const batches: UsageEntry[][] = [];
  return { batches, write: async ({ entries }: RecordUsageParams) => void batches.push(entries) };
}

describe('UsageRecorder', () => {
  test('writes a full batch at once and the rest after the interval', async (t) => {
    // Mocked timers: the interval passes only by tick().
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const s = sink();
    const recorder = new UsageRecorder(s.write, { maxBatch: 3, flushIntervalMs: 20 });
    for (let i = 0; i < 3; i++) recorder.record(entry(`j${i}`));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      s.batches.map((b) => b.length),
      [3],
    );
    recorder.record(entry('j3'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(s.batches.length, 1, 'one entry waits for the interval');
    t.mock.timers.tick(19);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(s.batches.length, 1, 'still waiting just before the interval ends');
    t.mock.timers.tick(1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      s.batches.map((b) => b.map((e) => e.jobId)),
      [['j0', 'j1', 'j2'], ['j3']],
    );
    await recorder.close();
  });

  test('close flushes what is buffered', async () => {
    const s = sink();
    const recorder = new UsageRecorder(s.write, { flushIntervalMs: 60_000 });
    recorder.record(entry('a'));
    recorder.record(entry('b'));
    assert.equal(s.batches.length, 0);
    await recorder.close();
    assert.deepEqual(
      s.batches.map((b) => b.length),
      [2],
    );
    assert.equal(recorder.pending, 0);
  });

  test('a failed write keeps its entries for the next flush and reports the error', async () => {
    const s = sink();
    let fail = true;
    const errors: unknown[] = [];
    const recorder = new UsageRecorder(
      async (params) => {
        if (fail) throw new Error('database down');
        await s.write(params);
      },
      { flushIntervalMs: 60_000, onError: (error) => errors.push(error) },
    );
    recorder.record(entry('a'));
    await recorder.flush();
    assert.equal(errors.length, 1);
    assert.equal(recorder.pending, 1);
    fail = false;
    recorder.record(entry('b'));
    await recorder.close();
    assert.deepEqual(
      s.batches.flat().map((e) => e.jobId),
      ['a', 'b'],
    );
  });

  test('drops the oldest entries beyond maxBuffered', async () => {
    const dropped: number[] = [];
    const recorder = new UsageRecorder(
      async () => {
        throw new Error('down');
      },
      { maxBuffered: 2, flushIntervalMs: 60_000, onError: (_, info) => dropped.push(info.dropped) },
    );
    for (const id of ['a', 'b', 'c']) recorder.record(entry(id));
    assert.equal(recorder.pending, 2);
    assert.deepEqual(dropped, [1]);
  });

  test('usageRecorderFor needs the declared capabilities.usage', () => {
    const write = async () => {};
    assert.equal(usageRecorderFor({ capabilities: {} }), undefined);
    assert.equal(usageRecorderFor({ capabilities: { usage: false }, recordUsage: write }), undefined);
    assert.ok(usageRecorderFor({ capabilities: { usage: true }, recordUsage: write }) instanceof UsageRecorder);
  });
});
