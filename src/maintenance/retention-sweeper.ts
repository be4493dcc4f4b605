import type { MaintenanceStore, RecordStore } from '../core/backend.js';
import type { WorkerLogger } from '../worker/worker-options.js';
import { type StopPeriodicTask, startPeriodicTask } from './periodic-task.js';

export interface RetentionSweeperOptions {
  /** Time between passes. */
  intervalMs: number;
  /** Succeeded and cancelled jobs are deleted this long after they finished. */
  finishedOlderThanMs: number;
  /** Failed (dead-letter) jobs are deleted this long after they failed; default finishedOlderThanMs. */
  failedOlderThanMs?: number | undefined;
  /** Most jobs deleted per pass (the backend's default when omitted). */
  limit?: number | undefined;
  logger?: WorkerLogger | undefined;
  /** The backend's record store, when it has one: each pass also frees its expired records. */
  records?: Pick<RecordStore, 'purgeExpiredRecords'> | undefined;
  /** Told after every pass that deleted something. */
  onPurge?: ((deleted: number) => void) | undefined;
  /** Told when a pass fails; the sweeper keeps its schedule. */
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * Deletes finished jobs past their retention so that storage stays bounded. Runs a pass at once,
 * then every `intervalMs`. Not owned by a Worker: the composition root starts it. Returns the stop
 * function.
 */
export function startRetentionSweeper(
  backend: Pick<MaintenanceStore, 'purgeFinished'>,
  options: RetentionSweeperOptions,
): StopPeriodicTask {
  return startPeriodicTask(
    async () => {
      const deleted = await backend.purgeFinished({
        finishedOlderThanMs: options.finishedOlderThanMs,
        failedOlderThanMs: options.failedOlderThanMs ?? options.finishedOlderThanMs,
        limit: options.limit,
      });
      const expired = (await options.records?.purgeExpiredRecords({ limit: options.limit })) ?? 0;
      if (expired > 0) options.logger?.info({ deleted: expired }, 'purged expired records');
      if (deleted === 0) return;
      options.logger?.info({ deleted }, 'purged finished jobs past retention');
      options.onPurge?.(deleted);
    },
    {
      intervalMs: options.intervalMs,
      onError: (error) => {
        options.logger?.warn({ err: error }, 'retention sweep failed');
        options.onError?.(error);
      },
    },
  );
}
