import assert from 'node:assert/strict';
import { test } from 'node:test';
import { offerAtRate } from '../../bench/lib/pace.js';

test('offerAtRate starts every call without waiting for earlier ones', async () => {
  const started: number[] = [];
  const releases: Array<() => void> = [];
  const offered = offerAtRate(1_000, 20, (i) => {
    started.push(i);
    return new Promise<void>((resolve) => releases.push(resolve));
  });
  // No call has answered, yet all 20 start (a closed loop would stop at the first).
  while (started.length < 20) await new Promise((resolve) => setTimeout(resolve, 2));
  assert.deepEqual(
    started,
    Array.from({ length: 20 }, (_, i) => i),
  );
  for (const release of releases) release();
  await offered;
});

test('offerAtRate rejects with the first failure and starts no more calls', async () => {
  let calls = 0;
  await assert.rejects(
    offerAtRate(1_000, 1_000, async (i) => {
      calls++;
      if (i === 3) throw new Error('refused');
    }),
    /refused/,
  );
  assert.ok(calls < 1_000, `${calls} calls`);
});
