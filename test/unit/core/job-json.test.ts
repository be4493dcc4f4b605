import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Job } from '../../../src/core/job.js';
import { toJobJson } from '../../../src/core/job-json.js';

const job = (times: Partial<Job>): Job => ({
  id: 'j1',
  type: 'noop',
  queue: 'default',
  status: 'succeeded',
  input: { a: 1 },
  priority: 0,
  attempts: 1,
  maxAttempts: 3,
  backoff: { type: 'fixed', delayMs: 1000, maxDelayMs: 1000, jitter: 'none' },
  createdAt: 0,
  runAt: 0,
  updatedAt: 0,
  ...times,
});

describe('toJobJson', () => {
  test('every timestamp is its own ISO 8601 string, whether instants repeat or differ', () => {
    const t = Date.UTC(2026, 11, 6, 15, 30, 0, 123);
    const same = toJobJson(job({ createdAt: t, runAt: t, updatedAt: t }));
    assert.deepEqual([same.createdAt, same.runAt, same.updatedAt], Array(3).fill('2026-12-06T15:30:00.123Z'));
    const differ = toJobJson(job({ createdAt: t, runAt: t + 1, startedAt: t + 60_000, finishedAt: t + 3_600_000, updatedAt: t }));
    assert.deepEqual(
      [differ.createdAt, differ.runAt, differ.startedAt, differ.finishedAt, differ.updatedAt],
      [
        '2026-12-06T15:30:00.123Z',
        '2026-12-06T15:30:00.124Z',
        '2026-12-06T15:31:00.123Z',
        '2026-12-06T16:30:00.123Z',
        '2026-12-06T15:30:00.123Z',
      ],
    );
  });

  test('optional fields appear only when the job has them', () => {
    const json = toJobJson(job({ output: null, error: { code: 'X', message: 'm' } }));
    assert.equal(json.output, null);
    assert.deepEqual(json.error, { code: 'X', message: 'm' });
    assert.equal('startedAt' in json, false);
    assert.equal('progress' in json, false);
  });
});
