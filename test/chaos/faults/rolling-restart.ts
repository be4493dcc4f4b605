import { until } from '../../helpers/until.js';
import type { Fault } from '../fault.js';

/** A deploy: each worker in turn gets SIGTERM (graceful: finishes or hands back its jobs) and is
 * replaced, then the API is restarted the same way, while the client submits. */
export const rollingRestart: Fault = {
  name: 'rolling SIGTERM restart',
  describe: 'SIGTERM each worker in turn (the supervisor replaces it), then the API, during the submissions',
  appliesTo: () => true,
  async inject(run) {
    let restarts = 0;
    for (const worker of run.workers.running) {
      const before = run.workers.started;
      worker.child.kill('SIGTERM');
      await worker.exited;
      await until(async () => run.workers.started > before, 'a replacement worker', 60_000);
      restarts++;
    }
    await run.api.restart('SIGTERM');
    run.note(`${restarts} workers and the API restarted`);
    await run.submitted;
  },
};
