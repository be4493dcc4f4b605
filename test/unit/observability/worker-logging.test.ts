import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { PermanentError } from '../../../src/core/errors.js';
import { logWorkerEvents } from '../../../src/observability/worker-logging.js';
import { captureLogs, records } from '../../helpers/log-capture.js';
import { type Harness, makeHarness } from '../worker/harness.js';

describe('worker job logging at info', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(() => h.cleanup());

  test('a job that succeeds is one start line and one end line with its id, type, queue and attempt', async () => {
    const { logger, lines } = captureLogs('info');
    const [job] = await h.enqueue({ queue: 'reports', input: {} });
    const worker = h.worker({ queues: ['reports'], handlers: { echo: () => 'done' } });
    logWorkerEvents(worker, logger);
    const succeeded = worker.once('job:succeeded');
    await worker.start();
    await succeeded;
    const logged = records(lines);
    assert.equal(logged.length, 2, lines.join('\n'));
    const [start, end] = logged;
    const ref = { jobId: job!.id, type: 'echo', queue: 'reports', attempt: 1 };
    assert.deepEqual(pick(start!, ['level', 'msg', ...Object.keys(ref)]), { level: 30, msg: 'job started', ...ref });
    assert.deepEqual(pick(end!, ['level', 'msg', 'outcome', ...Object.keys(ref)]), {
      level: 30,
      msg: 'job succeeded',
      outcome: 'succeeded',
      ...ref,
    });
    assert.equal(typeof end!.durationMs, 'number');
    assert.equal(start!.outcome, undefined, 'the start line has no outcome');
  });

  test('a retried then failed job: retry at info, failure at warn, each with outcome and duration', async () => {
    const { logger, lines } = captureLogs('info');
    const [job] = await h.enqueue({ maxAttempts: 2, backoff: { type: 'fixed', delayMs: 0 } });
    let calls = 0;
    const worker = h.worker({
      handlers: {
        echo: () => {
          calls += 1;
          throw calls === 1 ? new Error('flaky') : new PermanentError('bad input');
        },
      },
    });
    logWorkerEvents(worker, logger);
    const failed = worker.once('job:failed');
    await worker.start();
    await failed;
    const ends = records(lines).filter((record) => record.outcome !== undefined);
    assert.deepEqual(
      ends.map(({ jobId, attempt, outcome, level }) => ({ jobId, attempt, outcome, level })),
      [
        { jobId: job!.id, attempt: 1, outcome: 'retry', level: 30 },
        { jobId: job!.id, attempt: 2, outcome: 'failed', level: 40 },
      ],
    );
    assert.ok(ends.every((record) => typeof record.durationMs === 'number'));
    assert.equal(records(lines).filter((record) => record.msg === 'job started').length, 2);
  });
});

function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, record[key]]));
}
