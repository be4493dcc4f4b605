// A fresh process that attaches to a loaded queue, claims and completes `batches` batches of
// `limit`, and reports the median batch time and its own RSS: what a worker process costs at that depth.
import { childArgs, runChild, send } from '../lib/child-side.js';
import { summarize } from '../lib/stats.js';
import type { ClaimProbe } from '../lib/target.js';
import { now } from '../lib/time.js';
import type { TargetName } from '../peers/registry.js';
import { makeTarget } from '../peers/registry.js';

interface Args {
  target: TargetName;
  address: string;
  batches: number;
  limit: number;
}

runChild(async () => {
  const args = childArgs<Args>();
  const target = makeTarget(args.target, args.address);
  await target.setup();
  try {
    const probe = target as unknown as ClaimProbe;
    if (typeof probe.claimAndComplete !== 'function') throw new Error(`${args.target} has no claim probe`);
    for (let i = 0; i < 3; i++) await probe.claimAndComplete(args.limit); // warm up statements and pools
    const times: number[] = [];
    for (let i = 0; i < args.batches; i++) {
      const started = now();
      const got = await probe.claimAndComplete(args.limit);
      times.push(now() - started);
      if (got === 0) throw new Error('the queue ran dry during the probe');
    }
    send({ type: 'result', claimMs: summarize(times).median, rssMb: process.memoryUsage().rss / 2 ** 20 });
  } finally {
    await target.teardown();
  }
});
