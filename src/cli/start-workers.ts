import type { Config } from '../config/config.js';
import { builtinHandlers, closeBuiltinHandlers } from '../handlers/builtin-handlers.js';
import { providerHandlers } from '../handlers/provider-handlers.js';
import type { MaintenanceOptions } from '../maintenance/maintenance.js';
import type { Logger } from '../observability/logger.js';
import { logWorkerEvents } from '../observability/worker-logging.js';
import { openProviderPool } from '../providers/open-provider-pool.js';
import { usageRecorderFor } from '../providers/usage-recorder.js';
import type { Sluice } from '../sluice.js';
import { requireTenantClaims } from '../worker/tenant-binding.js';
import { workerStartupError } from './startup-error.js';

/** The variables behind the worker options that the worker itself may refuse. */
const WORKER_OPTION_VARIABLES = { tenant: 'SLUICE_WORKER_TENANT' } as const;

/** The maintenance settings of SLUICE_REAPER_INTERVAL_MS and SLUICE_*RETENTION*_MS. */
export function maintenanceOptionsFrom(config: Config, logger: Logger): MaintenanceOptions {
  return {
    reaper: { intervalMs: config.SLUICE_REAPER_INTERVAL_MS },
    retention: {
      intervalMs: config.SLUICE_RETENTION_INTERVAL_MS,
      finishedOlderThanMs: config.SLUICE_RETENTION_MS,
      failedOlderThanMs: config.SLUICE_FAILED_RETENTION_MS,
    },
    logger: logger.child({ component: 'maintenance' }),
  };
}

/**
 * Starts what every Sluice process runs beside its main duty: the Sluice's maintenance (lease reaper
 * and retention sweeper, both idempotent, so any number of processes may run them), and, when concurrency > 0,
 * a worker with the built-in handlers. Returns a graceful stop.
 */
export async function startWorkers(
  sluice: Sluice,
  config: Config,
  logger: Logger,
  concurrency: number,
): Promise<() => Promise<void>> {
  const tenant = config.SLUICE_WORKER_TENANT;
  // Before anything starts: a backend that cannot scope claims to the tenant must stop start-up.
  if (concurrency > 0) {
    try {
      requireTenantClaims(sluice.backend, tenant);
    } catch (error) {
      throw workerStartupError(error, WORKER_OPTION_VARIABLES);
    }
  }
  // chat / embed exist only where providers are configured (SLUICE_PROVIDERS); limits are shared
  // through the backend when it keeps rate budgets. Opened first: a bad setting must not leave timers
  // running that keep the process from exiting.
  const providers = concurrency > 0 ? openProviderPool(config.SLUICE_PROVIDERS, { backend: sluice.backend }) : undefined;
  // The library's own path: the worker made below finds it started and starts no second one. Started
  // also with --workers 0, so that an API-only server still puts back the jobs of dead workers.
  const maintenance = sluice.startMaintenance(maintenanceOptionsFrom(config, logger));
  // Token and cost accounting: provider calls are written to the backend in batches (GET /v1/usage).
  const usage = providers
    ? usageRecorderFor(sluice.backend, {
        onError: (err, info) => logger.warn({ err, ...info }, 'usage accounting write failed'),
      })
    : undefined;
  if (providers)
    logger.info({ sharedBudgets: providers.sharedBudgets, usageAccounting: usage !== undefined }, 'AI providers configured');
  const worker =
    concurrency > 0
      ? sluice.worker({
          queues: config.SLUICE_QUEUES,
          tenant,
          concurrency,
          prefetch: config.SLUICE_PREFETCH,
          handlers: {
            ...builtinHandlers({ cpuThreads: config.SLUICE_CPU_THREADS }),
            ...(providers ? providerHandlers(providers.pool, { usage }) : {}),
          },
          leaseMs: config.SLUICE_LEASE_MS,
          pollIntervalMs: config.SLUICE_POLL_INTERVAL_MS,
          shutdownGraceMs: config.SLUICE_SHUTDOWN_GRACE_MS,
          logger: logger.child({ component: 'worker' }),
        })
      : undefined;
  if (worker) logWorkerEvents(worker, logger.child({ component: 'worker' }));
  await worker?.start();
  if (worker)
    logger.info(
      {
        queues: config.SLUICE_QUEUES,
        tenant,
        concurrency,
        prefetch: config.SLUICE_PREFETCH,
        cpuThreads: config.SLUICE_CPU_THREADS,
      },
      'worker started',
    );
  return async () => {
    await worker?.stop({ graceMs: config.SLUICE_SHUTDOWN_GRACE_MS });
    await usage?.close();
    await maintenance.stop();
    await closeBuiltinHandlers();
  };
}
