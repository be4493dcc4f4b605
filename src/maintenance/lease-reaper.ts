import type { MaintenanceStore, ReclaimResult } from '../core/backend.js';
import type { WorkerLogger } from '../worker/worker-options.js';
import { type StopPeriodicTask, startPeriodicTask } from './periodic-task.js';

export interface LeaseReaperOptions {
  /** Time between passes. */
  intervalMs: number;
  /** Most jobs reclaimed per pass (the backend's default when omitted). */
  limit?: number | undefined;
  logger?: WorkerLogger | undefined;
  /** Told after every pass that moved something (for metrics). */
  onReclaim?: ((result: ReclaimResult) => void) | undefined;
  /** Told when a pass fails; the reaper keeps its schedule. */
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * Puts back jobs whose lease expired (a crashed or stalled worker): invariant 2, every job ends.
 * Runs a pass at once, then every `intervalMs`. Not owned by a Worker: the composition root starts
 * one per process (or per deployment). Returns the stop function.
 */
export function startLeaseReaper(
  backend: Pick<MaintenanceStore, 'reclaimExpired'>,
  options: LeaseReaperOptions,
): StopPeriodicTask {
  return startPeriodicTask(
    async () => {
      const result = await backend.reclaimExpired(options.limit === undefined ? {} : { limit: options.limit });
      if (result.requeued + result.failed === 0) return;
      options.logger?.info({ ...result }, 'reclaimed jobs with expired leases');
      options.onReclaim?.(result);
    },
    {
      intervalMs: options.intervalMs,
      onError: (error) => {
        options.logger?.warn({ err: error }, 'lease reaper pass failed');
        options.onError?.(error);
      },
    },
  );
}
