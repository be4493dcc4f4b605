import type { SluiceEvents } from '../../core/events.js';
import type { Job } from '../../core/job.js';
import { toJobJson } from '../../core/job-json.js';
import type { DeadLetterCopy } from './broker.js';

/**
 * Runs a store write and collects every job it ended `failed`, for `publish` to copy to the
 * broker's dead letters once the write returned. The store announces those with `job:finished`
 * during the call; `ids` limits them to this call's items (undefined: any change made by this
 * process, for sweeps). Remote events are another process's to publish.
 */
export async function deadLettering<T>(
  events: SluiceEvents,
  write: () => Promise<T>,
  ids: readonly string[] | undefined,
  publish: (jobs: Job[]) => Promise<void>,
): Promise<T> {
  if (ids !== undefined && ids.length === 0) return write();
  const mine = ids === undefined ? undefined : new Set(ids);
  const failed = new Map<string, Job>();
  const off = events.on(
    'job:finished',
    ({ job }) => {
      if (job.status !== 'failed' || (mine !== undefined && !mine.has(job.id))) return;
      failed.set(job.id, job);
    },
    { local: true }, // other processes publish their own copies
  );
  let result: T;
  try {
    result = await write();
  } finally {
    off();
  }
  if (failed.size > 0) await publish([...failed.values()]);
  return result;
}

/** A failed job's broker-side copy: the job as the API shows it. */
export function deadLetterCopy(job: Job, now: number): DeadLetterCopy {
  return {
    id: job.id,
    queue: job.queue,
    type: job.type,
    body: toJobJson(job),
    errorCode: job.error?.code ?? '',
    finishedAt: job.finishedAt ?? now,
  };
}
