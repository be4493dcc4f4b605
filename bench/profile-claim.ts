// Profiles Sluice's claim + complete path against the raw SQLite loop, outside the worker:
//   node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-claim.ts [sluice|raw] [jobs] [batch]
// Loads `jobs` queued jobs, then claims and completes them `batch` at a time; prints µs per job.
import { payload } from './lib/payload.js';
import type { ClaimProbe } from './lib/target.js';
import { now } from './lib/time.js';
import { makeTarget } from './peers/registry.js';

const which = process.argv[2] === 'raw' ? 'raw-sqlite' : 'sluice-sqlite';
const jobs = Number(process.argv[3] ?? 20_000);
const batch = Number(process.argv[4] ?? 50);
const target = makeTarget(which);
await target.setup();
try {
  await target.enqueueBulk(Array.from({ length: jobs }, (_, i) => payload(i)));
  const probe = target as unknown as ClaimProbe;
  const started = now();
  let done = 0;
  while (done < jobs) {
    const got = await probe.claimAndComplete(batch);
    if (got === 0) break;
    done += got;
  }
  const ms = now() - started;
  console.log(`${which}: ${done} jobs claimed+completed in batches of ${batch}: ${((ms * 1000) / done).toFixed(1)} µs/job`);
} finally {
  await target.teardown();
}
