import { type Fault, pause } from '../fault.js';

/** The store refuses writes as a full one does for 3 s (PostgreSQL: disk_full on every insert or
 * update of a job; Redis: maxmemory reached, OOM; SQLite: its filesystem full, ENOSPC). The API must
 * answer 503, never 202 for a job it did not save; once there is room again, everything runs.
 * The store fills at once, while the first submissions are in flight: on a fast store the whole
 * load is acknowledged within a few hundred milliseconds, and a later fill would meet no submit. */
export const fullStore: Fault = {
  name: 'full store',
  describe: 'make the store refuse writes as a full disk or memory would for 3 s (503 expected, never a 202 for an unsaved job)',
  appliesTo: (backend) => backend.fill !== undefined,
  async inject(run) {
    const undo = await run.backend.fill!();
    await pause(3000);
    await undo();
    await run.submitted;
  },
};
