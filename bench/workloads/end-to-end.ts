import { payload } from '../lib/payload.js';
import type { Measurement } from '../lib/runner.js';
import { lookAhead, type QueueTarget } from '../lib/target.js';
import { now, untilCount } from '../lib/time.js';

/**
 * Workload 2: `n` no-op jobs from the first enqueue to the last completion, one worker (in this
 * process) at `concurrency`. The worker is started first; jobs go in through the bulk call.
 */
export async function endToEnd(target: QueueTarget, n: number, concurrency: number, boundMs: number): Promise<Measurement[]> {
  let done = 0;
  const worker = await target.startWorker({ concurrency, prefetch: lookAhead(concurrency), onDone: () => done++ });
  try {
    const inputs = Array.from({ length: n }, (_, i) => payload(i));
    const started = now();
    await target.enqueueBulk(inputs);
    await untilCount(() => done, n, boundMs, `${target.name} end-to-end`);
    await target.settled?.(n, boundMs);
    const seconds = (now() - started) / 1000;
    return [{ metric: `end-to-end c=${concurrency}`, unit: 'jobs/s', better: 'higher', value: n / seconds }];
  } finally {
    await worker.stop();
  }
}
