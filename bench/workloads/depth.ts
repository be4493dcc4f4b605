import { payload } from '../lib/payload.js';
import type { Measurement } from '../lib/runner.js';
import { Child } from '../lib/spawn-child.js';
import type { QueueTarget } from '../lib/target.js';
import type { TargetName } from '../peers/registry.js';

export interface DepthOptions {
  depths: number[];
  /** Batches measured per depth, and their size. */
  batches: number;
  limit: number;
}

const fmt = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

/**
 * Workload 5: bulk-loads the queue to each depth (batches of 1000), then a fresh process claims
 * and completes `batches` batches of `limit` and reports the median batch time and its RSS. The
 * storage is analysed first (PostgreSQL), so the plans measured are those of a queue in service.
 * Cost should not grow with depth (invariant 5: depth lives in storage, not in a heap).
 */
export async function depth(target: QueueTarget, name: TargetName, options: DepthOptions): Promise<Measurement[]> {
  const out: Measurement[] = [];
  let loaded = 0;
  let consumed = 0;
  for (const d of options.depths) {
    // Top up to `d` queued jobs, generating payloads 10,000 at a time to keep this heap small.
    while (loaded - consumed < d) {
      const n = Math.min(10_000, d - (loaded - consumed));
      await target.enqueueBulk(Array.from({ length: n }, (_, i) => payload(loaded + i)));
      loaded += n;
    }
    await target.analyze?.();
    const child = new Child('depth-probe.ts', {
      target: name,
      address: target.address,
      batches: options.batches,
      limit: options.limit,
    });
    try {
      const r = await child.next<{ type: string; claimMs: number; rssMb: number }>('result', 120_000);
      out.push(
        { metric: `claim+complete ${options.limit} @${fmt(d)}`, unit: 'ms', better: 'lower', value: r.claimMs },
        { metric: `worker RSS @${fmt(d)}`, unit: 'MB', better: 'lower', value: r.rssMb },
      );
    } finally {
      await child.dispose();
    }
    consumed += (options.batches + 3) * options.limit;
  }
  return out;
}
