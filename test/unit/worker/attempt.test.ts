import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes } from '../../../src/core/errors.js';
import type { ClaimedJob } from '../../../src/core/job.js';
import { cancelledReason, leaseLostReason } from '../../../src/worker/abort-reasons.js';
import { Attempt } from '../../../src/worker/attempt.js';
import type { HandlerContext } from '../../../src/worker/handler.js';

function claimedJob(): ClaimedJob {
  return {
    id: 'job-1',
    type: 'echo',
    queue: 'default',
    status: 'running',
    input: null,
    priority: 0,
    attempts: 1,
    maxAttempts: 3,
    backoff: { type: 'fixed', delayMs: 0, maxDelayMs: 0, jitter: 'none' },
    createdAt: 0,
    runAt: 0,
    updatedAt: 0,
    leaseToken: 'token',
    leaseExpiresAt: 30_000,
    workerId: 'w',
  };
}

/** A handler context's output calls that do nothing. */
const noOutput = { progress: async () => {}, emit: () => {} };

describe('Attempt (its abort signal is made on first use)', () => {
  test('a signal first read after the abort is already aborted, with the reason', () => {
    const attempt = new Attempt(claimedJob(), 0);
    const reason = cancelledReason('job-1');
    attempt.abort(reason);
    assert.equal(attempt.aborted, true);
    assert.equal(attempt.signal.aborted, true);
    assert.equal(attempt.signal.reason, reason);
  });

  test('a signal read before the abort fires with it', async () => {
    const attempt = new Attempt(claimedJob(), 0);
    const fired = new Promise((resolve) => attempt.signal.addEventListener('abort', () => resolve(attempt.signal.reason)));
    attempt.loseLease(leaseLostReason('job-1'));
    assert.equal(((await fired) as { code: string }).code, ErrorCodes.leaseLost);
    assert.equal(attempt.holdsLease, false);
  });

  test('an abort decides the race for a handler that never looks at its signal', async () => {
    const attempt = new Attempt(claimedJob(), 0);
    let started = false;
    const outcome = attempt.run(
      () => {
        started = true;
        return new Promise(() => {}); // never settles
      },
      60_000,
      noOutput,
    );
    // The handler starts on a microtask; abort once it has.
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(started, true);
    attempt.abort(cancelledReason('job-1'));
    const result = await outcome;
    assert.equal(result.kind, 'aborted');
    assert.equal(attempt.phase, 'done');
  });

  test('an attempt aborted before it runs never calls its handler', async () => {
    const attempt = new Attempt(claimedJob(), 0);
    attempt.abort(cancelledReason('job-1'));
    let called = false;
    const result = await attempt.run(
      () => {
        called = true;
        return 'ran';
      },
      60_000,
      noOutput,
    );
    assert.equal(called, false);
    assert.equal(result.kind, 'aborted');
  });

  test('the handler reads the same signal as the attempt and its result wins when it finishes first', async () => {
    const attempt = new Attempt(claimedJob(), 0);
    let seen: AbortSignal | undefined;
    const result = await attempt.run(
      (ctx: HandlerContext<never>) => {
        seen = ctx.signal;
        return 42;
      },
      60_000,
      noOutput,
    );
    assert.deepEqual(result, { kind: 'succeeded', output: 42 });
    assert.equal(seen, attempt.signal);
    // A late abort changes nothing once the race is decided.
    attempt.abort(cancelledReason('job-1'));
    assert.equal(attempt.signal.aborted, false);
  });
});
