import { payload } from '../lib/payload.js';
import type { Measurement } from '../lib/runner.js';
import { percentile } from '../lib/stats.js';
import { type BenchJob, lookAhead, type QueueTarget } from '../lib/target.js';
import { now, sleep, untilCount } from '../lib/time.js';

/**
 * Workload 3: enqueue-to-start latency at a steady `rate` jobs/s for `seconds` to an idle worker
 * (concurrency 50, in this process, so both ends read the same clock). Each job carries its
 * enqueue time; the handler records now - t. Jobs are enqueued one call each, on schedule: a
 * producer that falls behind catches up, and the lag shows in the latency.
 */
export async function latency(target: QueueTarget, rate: number, seconds: number): Promise<Measurement[]> {
  const samples: number[] = [];
  let done = 0;
  const worker = await target.startWorker({
    concurrency: 50,
    prefetch: lookAhead(50),
    onStart: (job: BenchJob) => samples.push(now() - job.t),
    onDone: () => done++,
  });
  const total = Math.round(rate * seconds);
  try {
    await sleep(300); // let the worker go idle
    const started = now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((now() - started) / 1000) * rate) + 1);
      while (sent < due) {
        const input = payload(sent);
        input.t = now();
        await target.enqueueOne(input);
        sent++;
      }
      await sleep(1);
    }
    await untilCount(() => samples.length, total, 30_000, `${target.name} latency`);
  } finally {
    await worker.stop();
  }
  const sorted = samples.sort((a, b) => a - b);
  return [
    { metric: 'latency p50', unit: 'ms', better: 'lower', value: percentile(sorted, 50) },
    { metric: 'latency p99', unit: 'ms', better: 'lower', value: percentile(sorted, 99) },
  ];
}
