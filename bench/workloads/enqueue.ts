import { payload } from '../lib/payload.js';
import type { Measurement } from '../lib/runner.js';
import type { QueueTarget } from '../lib/target.js';
import { now } from '../lib/time.js';

/** Workload 1a: `n` jobs of ~200-byte JSON, one call per job, each awaited (a client that waits for durability). */
export async function enqueueOneAtATime(target: QueueTarget, n: number): Promise<Measurement[]> {
  const started = now();
  for (let i = 0; i < n; i++) await target.enqueueOne(payload(i));
  const seconds = (now() - started) / 1000;
  return [{ metric: 'enqueue one-by-one', unit: 'jobs/s', better: 'higher', value: n / seconds }];
}

/** Workload 1b: the same jobs through the target's bulk call (batches of 1000). */
export async function enqueueBulk(target: QueueTarget, n: number): Promise<Measurement[]> {
  const inputs = Array.from({ length: n }, (_, i) => payload(i));
  const started = now();
  await target.enqueueBulk(inputs);
  const seconds = (now() - started) / 1000;
  return [{ metric: 'enqueue bulk', unit: 'jobs/s', better: 'higher', value: n / seconds }];
}
