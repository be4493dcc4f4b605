import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffText } from '../../../src/core/backoff-text.js';
import type { BackoffPolicy } from '../../../src/core/job.js';

test('backoffText is the JSON of each policy, whichever came before it', () => {
  const policies: BackoffPolicy[] = [
    { type: 'exponential', delayMs: 1000, maxDelayMs: 300_000, jitter: 'full' },
    { type: 'exponential', delayMs: 1000, maxDelayMs: 300_000, jitter: 'full' },
    { type: 'fixed', delayMs: 1000, maxDelayMs: 300_000, jitter: 'full' },
    { type: 'fixed', delayMs: 10, maxDelayMs: 300_000, jitter: 'full' },
    { type: 'fixed', delayMs: 10, maxDelayMs: 20, jitter: 'full' },
    { type: 'fixed', delayMs: 10, maxDelayMs: 20, jitter: 'none' },
    { type: 'exponential', delayMs: 1000, maxDelayMs: 300_000, jitter: 'full' },
  ];
  for (const policy of policies) assert.deepEqual(JSON.parse(backoffText(policy)), policy);
  // A policy changed in place after it was serialised is serialised again.
  const mutable: BackoffPolicy = { type: 'fixed', delayMs: 1, maxDelayMs: 2, jitter: 'none' };
  assert.deepEqual(JSON.parse(backoffText(mutable)), mutable);
  mutable.delayMs = 7;
  assert.deepEqual(JSON.parse(backoffText(mutable)), mutable);
});
