import { payload } from '../lib/payload.js';
import type { Measurement } from '../lib/runner.js';
import { Child } from '../lib/spawn-child.js';
import type { QueueTarget } from '../lib/target.js';
import { now, sleep } from '../lib/time.js';
import type { TargetName } from '../peers/registry.js';

export interface ScaleOutOptions {
  n: number;
  processes: number[];
  concurrency: number;
}

/**
 * Workload 6: `n` queued no-op jobs drained by 1, 2, 4 worker processes (concurrency each), timed
 * from `go` to the last completion that the processes report. Process start-up is not timed.
 */
export async function scaleOut(target: QueueTarget, name: TargetName, options: ScaleOutOptions): Promise<Measurement[]> {
  const out: Measurement[] = [];
  let total = 0;
  for (const p of options.processes) {
    await target.enqueueBulk(Array.from({ length: options.n }, (_, i) => payload(total + i)));
    total += options.n;
    const children = Array.from(
      { length: p },
      () => new Child('worker-process.ts', { target: name, address: target.address, concurrency: options.concurrency }),
    );
    try {
      await Promise.all(children.map((c) => c.next('ready', 60_000)));
      const counts = new Array<number>(p).fill(0);
      for (const [k, c] of children.entries())
        c.proc.on('message', (m: { type?: string; done?: number }) => {
          if (m.type === 'count') counts[k] = m.done ?? 0;
        });
      const started = now();
      for (const c of children) c.send({ type: 'go' });
      const deadline = started + 120_000;
      while (counts.reduce((a, b) => a + b, 0) < options.n) {
        if (now() > deadline) throw new Error(`scale-out ${p}: ${counts.reduce((a, b) => a + b, 0)}/${options.n} after 120 s`);
        for (const c of children) if (c.proc.exitCode !== null) throw new Error(`a worker process exited (${c.proc.exitCode})`);
        await sleep(5);
      }
      await target.settled?.(total, 60_000);
      const seconds = (now() - started) / 1000;
      out.push({
        metric: `scale-out ${p} proc x c=${options.concurrency}`,
        unit: 'jobs/s',
        better: 'higher',
        value: options.n / seconds,
      });
    } finally {
      await Promise.all(children.map((c) => c.dispose()));
    }
  }
  return out;
}
