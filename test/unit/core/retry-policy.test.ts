import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes, PermanentError, RateLimitedError, SluiceError } from '../../../src/core/errors.js';
import type { BackoffPolicy } from '../../../src/core/job.js';
import { backoffDelayMs, decideFailure, toJobError } from '../../../src/core/retry-policy.js';

const exact: BackoffPolicy = { type: 'exponential', delayMs: 1000, maxDelayMs: 60_000, jitter: 'none' };

describe('backoffDelayMs', () => {
  test('exponential backoff doubles per attempt', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(exact, attempt)),
      [1000, 2000, 4000, 8000, 16_000, 32_000],
    );
  });

  test('is capped at maxDelayMs', () => {
    assert.equal(backoffDelayMs(exact, 7), 60_000); // 64000 uncapped
    assert.equal(backoffDelayMs(exact, 50), 60_000);
  });

  test('stays finite for absurd attempt numbers', () => {
    assert.equal(backoffDelayMs(exact, 10_000), 60_000);
    assert.equal(backoffDelayMs({ ...exact, maxDelayMs: Number.MAX_SAFE_INTEGER }, 10_000), Number.MAX_SAFE_INTEGER);
  });

  test('attempt 0 or below counts as the first retry', () => {
    assert.equal(backoffDelayMs(exact, 0), 1000);
    assert.equal(backoffDelayMs(exact, -3), 1000);
  });

  test('fixed backoff is the same every attempt, and capped too', () => {
    const fixed: BackoffPolicy = { type: 'fixed', delayMs: 2500, maxDelayMs: 60_000, jitter: 'none' };
    assert.deepEqual(
      [1, 2, 10].map((attempt) => backoffDelayMs(fixed, attempt)),
      [2500, 2500, 2500],
    );
    assert.equal(backoffDelayMs({ ...fixed, maxDelayMs: 1000 }, 3), 1000);
  });

  test('full jitter is uniform in [0, computed) with an injected random', () => {
    const jittered: BackoffPolicy = { ...exact, jitter: 'full' };
    assert.equal(
      backoffDelayMs(jittered, 3, () => 0),
      0,
    );
    assert.equal(
      backoffDelayMs(jittered, 3, () => 0.5),
      2000,
    );
    assert.equal(
      backoffDelayMs(jittered, 3, () => 0.999_999),
      3999,
    );
    assert.equal(
      backoffDelayMs(jittered, 10, () => 0.5),
      30_000,
    ); // half of the cap
  });

  test('full jitter stays within bounds for many random draws', () => {
    const jittered: BackoffPolicy = { ...exact, jitter: 'full' };
    for (let i = 0; i < 1000; i += 1) {
      const delay = backoffDelayMs(jittered, 4);
      assert.ok(delay >= 0 && delay < 8000 && Number.isInteger(delay), String(delay));
    }
  });

  test('fixed backoff with full jitter', () => {
    assert.equal(
      backoffDelayMs({ type: 'fixed', delayMs: 1000, maxDelayMs: 60_000, jitter: 'full' }, 5, () => 0.25),
      250,
    );
  });
});

describe('decideFailure', () => {
  const job = { attempts: 1, maxAttempts: 3, backoff: exact };

  test('a PermanentError fails at once, whatever attempts are left', () => {
    const decision = decideFailure(job, new PermanentError('bad input'));
    assert.deepEqual(decision, { kind: 'fail', error: { code: ErrorCodes.permanent, message: 'bad input', permanent: true } });
  });

  test('a permanent error recognised by code alone (crossed a thread or process)', () => {
    const crossed = Object.assign(new Error('bad input'), { code: ErrorCodes.permanent });
    assert.deepEqual(decideFailure(job, crossed), {
      kind: 'fail',
      error: { code: ErrorCodes.permanent, message: 'bad input', permanent: true },
    });
  });

  test('a transient error retries with the backoff of this attempt', () => {
    assert.deepEqual(decideFailure({ ...job, attempts: 2 }, new Error('connection reset')), {
      kind: 'retry',
      delayMs: 2000,
      error: { code: ErrorCodes.handlerFailed, message: 'connection reset' },
    });
  });

  test('the injected random reaches the jitter', () => {
    const decision = decideFailure({ ...job, backoff: { ...exact, jitter: 'full' } }, new Error('x'), () => 0.5);
    assert.equal(decision.kind, 'retry');
    assert.equal(decision.kind === 'retry' ? decision.delayMs : -1, 500);
  });

  test('attempts exhausted: fail, not marked permanent', () => {
    assert.deepEqual(decideFailure({ ...job, attempts: 3 }, new Error('still down')), {
      kind: 'fail',
      error: { code: ErrorCodes.handlerFailed, message: 'still down' },
    });
  });

  test('rate limited: retry after the provider said', () => {
    assert.deepEqual(decideFailure(job, new RateLimitedError('429', 12_345)), {
      kind: 'retry',
      delayMs: 12_345,
      error: { code: ErrorCodes.rateLimited, message: '429' },
    });
  });

  test('rate limited on the last attempt still fails', () => {
    assert.equal(decideFailure({ ...job, attempts: 3 }, new RateLimitedError('429', 1000)).kind, 'fail');
  });

  test('RateLimitedError clamps a negative retry-after to 0', () => {
    const decision = decideFailure(job, new RateLimitedError('429', -50));
    assert.equal(decision.kind === 'retry' ? decision.delayMs : -1, 0);
  });

  test('keeps a Sluice code of a transient error (a timeout)', () => {
    const decision = decideFailure(job, new SluiceError(ErrorCodes.timeout, 'attempt timed out after 5000 ms'));
    assert.deepEqual(decision, {
      kind: 'retry',
      delayMs: 1000,
      error: { code: ErrorCodes.timeout, message: 'attempt timed out after 5000 ms' },
    });
  });
});

describe('toJobError', () => {
  test('a foreign code becomes SLUICE_HANDLER_FAILED', () => {
    const error = Object.assign(new Error('ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    assert.deepEqual(toJobError(error), { code: ErrorCodes.handlerFailed, message: 'ECONNREFUSED 127.0.0.1:5432' });
  });

  test('a thrown non-error is stringified', () => {
    assert.deepEqual(toJobError('boom'), { code: ErrorCodes.handlerFailed, message: 'boom' });
    assert.deepEqual(toJobError(undefined), { code: ErrorCodes.handlerFailed, message: 'undefined' });
  });

  test('an error without a message is named by its name', () => {
    assert.equal(toJobError(new TypeError()).message, 'TypeError');
  });

  test('long messages are truncated to 2000 characters', () => {
    const { message } = toJobError(new Error('x'.repeat(5000)));
    assert.equal(message.length, 2000);
    assert.ok(message.endsWith('…'));
  });

  test('a plain object keeps its Sluice code and message (errors from threads and other processes)', () => {
    assert.deepEqual(toJobError({ code: ErrorCodes.permanent, message: 'bad input' }), {
      code: ErrorCodes.permanent,
      message: 'bad input',
    });
    assert.deepEqual(toJobError({ reason: 'odd' }), { code: ErrorCodes.handlerFailed, message: '{"reason":"odd"}' });
  });
});
