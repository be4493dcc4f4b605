import { spawnSync } from 'node:child_process';
import { type Fault, pause } from '../fault.js';

const hasFaketime = spawnSync('faketime', ['-f', '+0', 'true']).status === 0;

/** One more worker whose clock runs an hour ahead (Debian's faketime: LD_PRELOAD libfaketime).
 * Leases must be judged by the store's clock, so it neither steals live jobs nor loses its own. */
export const clockSkew: Fault = {
  name: 'worker clock +1h',
  describe: 'add a worker whose clock is an hour ahead (faketime -f +1h) for the whole run',
  appliesTo: () => hasFaketime,
  async inject(run) {
    const skewed = await run.workers.spawnExtra(['faketime', '-f', '+1h']);
    await run.submitted;
    await pause(run.leaseMs);
    skewed.child.kill('SIGTERM');
    await skewed.exited;
  },
};
