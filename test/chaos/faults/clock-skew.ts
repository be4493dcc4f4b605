import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Fault, pause } from '../fault.js';

/** libfaketime from Debian's faketime package. Preloaded straight into the worker: the `faketime`
 * wrapper forks its command, so killing the wrapper would leave the worker running. */
function findLibfaketime(): string | undefined {
  for (const dir of ['/usr/lib', ...safeList('/usr/lib').map((d) => join('/usr/lib', d))]) {
    const candidate = join(dir, 'faketime', 'libfaketime.so.1');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
const libfaketime = findLibfaketime();

/** One more worker whose clock runs an hour ahead (Debian's faketime: LD_PRELOAD libfaketime).
 * Leases must be judged by the store's clock, so it neither steals live jobs nor loses its own. */
export const clockSkew: Fault = {
  name: 'worker clock +1h',
  describe: 'add a worker whose clock is an hour ahead (libfaketime, FAKETIME=+1h) for the whole run',
  appliesTo: () => libfaketime !== undefined,
  async inject(run) {
    const skewed = await run.workers.spawnExtra({ LD_PRELOAD: libfaketime!, FAKETIME: '+1h' });
    await run.submitted;
    await pause(run.leaseMs);
    skewed.child.kill('SIGTERM');
    await skewed.exited;
  },
};
