/**
 * The maintenance role: what the lease reaper and the retention sweeper call (one of each per
 * process that runs workers; every pass is safe to run from several processes at once).
 */
export interface MaintenanceStore {
  /** Running jobs whose lease expired go back to `queued` (or `failed` when out of attempts), as
   * core/reclaim-policy.ts decides. */
  reclaimExpired(params?: { limit?: number }): Promise<ReclaimResult>;
  /** Deletes finished jobs older than the given ages. Returns how many went. */
  purgeFinished(params: PurgeParams): Promise<number>;
}

export interface ReclaimResult {
  requeued: number;
  failed: number;
}

export interface PurgeParams {
  /** Delete succeeded and cancelled jobs that finished more than this long ago. */
  finishedOlderThanMs: number;
  /** Delete failed (dead-letter) jobs older than this; defaults to finishedOlderThanMs. */
  failedOlderThanMs?: number | undefined;
  limit?: number | undefined;
}
