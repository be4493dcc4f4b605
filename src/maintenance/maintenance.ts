import {
  type CapabilityHolder,
  type MaintenanceStore,
  type ReclaimResult,
  type RecordStore,
  withCapability,
} from '../core/backend.js';
import type { WorkerLogger } from '../worker/worker-options.js';
import { startLeaseReaper } from './lease-reaper.js';
import type { StopPeriodicTask } from './periodic-task.js';
import { startRetentionSweeper } from './retention-sweeper.js';

const DAY = 24 * 60 * 60_000;

/** The defaults of MaintenanceOptions; the same as the CLI's SLUICE_* defaults. */
export const MAINTENANCE_DEFAULTS = {
  reaperIntervalMs: 1_000,
  retentionIntervalMs: 60_000,
  finishedOlderThanMs: 7 * DAY,
  failedOlderThanMs: 30 * DAY,
} as const;

export interface LeaseReaperSettings {
  /** Time between passes. Default 1 s. */
  intervalMs?: number | undefined;
  /** Most jobs reclaimed per pass (the backend's default when omitted). */
  limit?: number | undefined;
  /** Told after every pass that moved something (for metrics). */
  onReclaim?: ((result: ReclaimResult) => void) | undefined;
  /** Told when a pass fails; the reaper keeps its schedule. */
  onError?: ((error: unknown) => void) | undefined;
}

export interface RetentionSettings {
  /** Time between passes. Default 60 s. */
  intervalMs?: number | undefined;
  /** Succeeded and cancelled jobs are deleted this long after they finished. Default 7 days. */
  finishedOlderThanMs?: number | undefined;
  /** Failed (dead-letter) jobs are deleted this long after they failed. Default 30 days. */
  failedOlderThanMs?: number | undefined;
  /** Most jobs deleted per pass (the backend's default when omitted). */
  limit?: number | undefined;
  /** Told after every pass that deleted something. */
  onPurge?: ((deleted: number) => void) | undefined;
  /** Told when a pass fails; the sweeper keeps its schedule. */
  onError?: ((error: unknown) => void) | undefined;
}

export interface MaintenanceOptions {
  /** The lease reaper (puts back jobs of dead workers); `false` runs none. */
  reaper?: LeaseReaperSettings | false | undefined;
  /** The retention sweeper (deletes old finished jobs); `false` runs none. */
  retention?: RetentionSettings | false | undefined;
  /** Where passes that changed something, and failed passes, are logged. Default: silent. */
  logger?: WorkerLogger | undefined;
}

/**
 * The background duties of a process that runs workers: the lease reaper and the retention
 * sweeper. Every pass is safe from any number of processes at once, so each process may run one;
 * a Sluice starts its own with its first worker. start() and stop() are idempotent.
 */
export class Maintenance {
  private stops: StopPeriodicTask[] = [];

  constructor(
    private readonly backend: Pick<MaintenanceStore, 'reclaimExpired' | 'purgeFinished'> &
      Partial<CapabilityHolder & RecordStore>,
    readonly options: MaintenanceOptions = {},
  ) {}

  /** Whether the duties are running (start() called, stop() not since). */
  get running(): boolean {
    return this.stops.length > 0;
  }

  /** Starts the duties that are not disabled; each runs a pass at once. A no-op while running. */
  start(): this {
    if (this.running) return this;
    const { reaper, retention, logger } = this.options;
    const stops: StopPeriodicTask[] = [];
    if (reaper !== false) {
      stops.push(
        startLeaseReaper(this.backend, {
          intervalMs: reaper?.intervalMs ?? MAINTENANCE_DEFAULTS.reaperIntervalMs,
          limit: reaper?.limit,
          logger,
          onReclaim: reaper?.onReclaim,
          onError: reaper?.onError,
        }),
      );
    }
    if (retention !== false) {
      const finishedOlderThanMs = retention?.finishedOlderThanMs ?? MAINTENANCE_DEFAULTS.finishedOlderThanMs;
      stops.push(
        startRetentionSweeper(this.backend, {
          intervalMs: retention?.intervalMs ?? MAINTENANCE_DEFAULTS.retentionIntervalMs,
          finishedOlderThanMs,
          failedOlderThanMs: retention?.failedOlderThanMs ?? MAINTENANCE_DEFAULTS.failedOlderThanMs,
          limit: retention?.limit,
          records:
            this.backend.capabilities === undefined ? undefined : withCapability(this.backend as CapabilityHolder, 'records'),
          logger,
          onPurge: retention?.onPurge,
          onError: retention?.onError,
        }),
      );
    }
    // Both disabled: nothing runs, and `running` stays false.
    this.stops = stops;
    return this;
  }

  /** Stops the duties; resolves once a pass in progress has ended. A no-op when not running. */
  async stop(): Promise<void> {
    const stops = this.stops;
    this.stops = [];
    await Promise.all(stops.map((stop) => stop()));
  }
}
