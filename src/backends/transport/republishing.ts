import type { AdminStore } from '../../core/backend.js';
import type { SluiceEvents } from '../../core/events.js';
import type { Job } from '../../core/job.js';

/**
 * Runs a store write and hands `publish` every job it put back to waiting. The store announces
 * those with `job:requeued` during the call, which covers retries, releases, reclaims and redrives
 * alike. A remote event that lands in the window only causes a duplicate, which fencing absorbs.
 * Returns the write's result and the jobs republished.
 */
export async function republishing<T>(
  store: { events: SluiceEvents } & Pick<AdminStore, 'get'>,
  write: () => Promise<T>,
  publish: (jobs: Job[]) => Promise<void>,
): Promise<{ result: T; republished: Job[] }> {
  const ids: string[] = [];
  const off = store.events.on('job:requeued', ({ id }) => ids.push(id));
  let result: T;
  try {
    result = await write();
  } finally {
    off();
  }
  if (ids.length === 0) return { result, republished: [] };
  const jobs = await Promise.all([...new Set(ids)].map((id) => store.get({ id })));
  const waiting = jobs.filter((job): job is Job => job?.status === 'queued' || job?.status === 'scheduled');
  await publish(waiting);
  return { result, republished: waiting };
}
