import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redisStoreSkip } from '../helpers/store-rig.js';

// The push rows' sides that need Redis: BullMQ's QueueEvents (the peer) and Sluice on Redis.
const skip = await redisStoreSkip();

const sizes = { rate: 100, seconds: 0.3, warmup: 5, timeoutMs: 30_000 };

const assertLatencies = (measured: Array<{ metric: string; value: number }>) => {
  const [p50, p99] = ['p50', 'p99'].map((p) => measured.find((m) => m.metric === `completion→notification ${p}`)?.value);
  assert.ok(p50 !== undefined && p99 !== undefined, JSON.stringify(measured));
  assert.ok(p50 > 0 && p50 <= p99 && p99 < 30_000, `${p50} ${p99}`);
};

test('BullMQ QueueEvents latency: handler stamp to the completed event', { skip, timeout: 90_000 }, async () => {
  process.env.SLUICE_BENCH_SOURCE = '1';
  const { bullmqCompletedLatency } = await import('../../bench/workloads/push-latency.js');
  assertLatencies(await bullmqCompletedLatency(sizes));
});

test('Sluice on Redis: completion → SSE feed notification', { skip, timeout: 90_000 }, async () => {
  process.env.SLUICE_BENCH_SOURCE = '1';
  const { sluicePushLatency } = await import('../../bench/workloads/push-latency.js');
  assertLatencies(await sluicePushLatency('redis', 'sse', sizes));
});
