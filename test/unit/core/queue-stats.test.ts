import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emptyCounts } from '../../../src/core/job.js';
import { assembleQueueStats } from '../../../src/core/queue-stats.js';

describe('assembleQueueStats', () => {
  test('no rows, no flags: no queues', () => {
    assert.deepEqual(assembleQueueStats({ counts: [], flags: [], now: 0 }), []);
  });

  test('sums counts per queue and status, sorted by name', () => {
    const stats = assembleQueueStats({
      counts: [
        { queue: 'b', status: 'running', count: 2 },
        { queue: 'a', status: 'succeeded', count: 5 },
        { queue: 'a', status: 'failed', count: 1 },
        { queue: 'a', status: 'cancelled', count: 3 },
      ],
      flags: [],
      now: 0,
    });
    assert.deepEqual(stats, [
      { name: 'a', paused: false, counts: { ...emptyCounts(), succeeded: 5, failed: 1, cancelled: 3 }, oldestQueuedAgeMs: 0 },
      { name: 'b', paused: false, counts: { ...emptyCounts(), running: 2 }, oldestQueuedAgeMs: 0 },
    ]);
  });

  test('due scheduled jobs count as queued, and the lag runs from the oldest waiting runAt', () => {
    const [stats] = assembleQueueStats({
      counts: [
        { queue: 'q', status: 'queued', count: 2, oldestRunAt: 700 },
        { queue: 'q', status: 'scheduled', count: 5, due: 2, oldestRunAt: 400 },
      ],
      flags: [],
      now: 1000,
    });
    assert.deepEqual(stats?.counts, { ...emptyCounts(), queued: 4, scheduled: 3 });
    assert.equal(stats?.oldestQueuedAgeMs, 600);
  });

  test('a scheduled row with nothing due adds no lag, whatever its runAt', () => {
    const [stats] = assembleQueueStats({
      counts: [{ queue: 'q', status: 'scheduled', count: 1, due: 0, oldestRunAt: 5000 }],
      flags: [],
      now: 1000,
    });
    assert.deepEqual(stats?.counts, { ...emptyCounts(), scheduled: 1 });
    assert.equal(stats?.oldestQueuedAgeMs, 0);
  });

  test('running or finished rows never set the lag; a runAt ahead of now reads as 0', () => {
    const [stats] = assembleQueueStats({
      counts: [
        { queue: 'q', status: 'running', count: 1, oldestRunAt: 0 },
        { queue: 'q', status: 'queued', count: 1, oldestRunAt: 2000 },
      ],
      flags: [],
      now: 1000,
    });
    assert.equal(stats?.oldestQueuedAgeMs, 0);
  });

  test('flagged queues are listed without jobs; the asked queue is listed even when empty', () => {
    assert.deepEqual(
      assembleQueueStats({
        counts: [{ queue: 'busy', status: 'queued', count: 1, oldestRunAt: 10 }],
        flags: [
          { queue: 'held', paused: true },
          { queue: 'busy', paused: false },
        ],
        now: 10,
      }).map((s) => [s.name, s.paused, s.counts.queued]),
      [
        ['busy', false, 1],
        ['held', true, 0],
      ],
    );
    assert.deepEqual(assembleQueueStats({ counts: [], flags: [], now: 0, queue: 'empty' }), [
      { name: 'empty', paused: false, counts: emptyCounts(), oldestQueuedAgeMs: 0 },
    ]);
  });
});
