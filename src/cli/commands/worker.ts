import { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../observability/logger.js';
import { Sluice } from '../../sluice.js';
import { startWorkers } from '../start-workers.js';
import { backendStartupError, closingOnFailure } from '../startup-error.js';
import { untilSignal } from '../until-signal.js';
import { webhookSettingsFrom } from '../webhook-settings.js';

interface WorkerFlags {
  backend?: string;
  concurrency?: string;
  prefetch?: string;
  cpuThreads?: string;
  queues?: string;
  tenant?: string;
}

/** `sluice worker`: a worker process with the built-in handlers, no HTTP. */
export function workerCommand(): Command {
  return new Command('worker')
    .description('run a worker process (no HTTP API)')
    .option('-b, --backend <url>', 'backend URL (env SLUICE_BACKEND, default sqlite:./data/sluice.db)')
    .option('-c, --concurrency <n>', 'jobs run at once (env SLUICE_CONCURRENCY, default 4)')
    .option('--prefetch <n>', 'jobs claimed ahead of free slots, for many short jobs (env SLUICE_PREFETCH, default 0)')
    .option('--cpu-threads <n>', 'threads of each CPU pool (factorial, NLP); env SLUICE_CPU_THREADS, default cores - 1')
    .option('-q, --queues <list>', 'queues to take jobs from, comma separated (env SLUICE_QUEUES)')
    .option('--tenant <tenant>', "claim only this tenant's jobs (env SLUICE_WORKER_TENANT, default every tenant's)")
    .action(async (flags: WorkerFlags) => {
      const config = loadConfig(process.env, {
        SLUICE_BACKEND: flags.backend,
        SLUICE_CONCURRENCY: flags.concurrency,
        SLUICE_PREFETCH: flags.prefetch,
        SLUICE_CPU_THREADS: flags.cpuThreads,
        SLUICE_QUEUES: flags.queues,
        SLUICE_WORKER_TENANT: flags.tenant,
      });
      const logger = createLogger(config.SLUICE_LOG_LEVEL, { format: config.SLUICE_LOG_FORMAT });
      const sluice = await Sluice.connect(config.SLUICE_BACKEND, {
        migrate: config.SLUICE_AUTO_MIGRATE,
        store: config.SLUICE_STORE,
        webhooks: webhookSettingsFrom(config),
      }).catch((error: unknown) => Promise.reject(backendStartupError(error)));
      const concurrency = Math.max(1, config.SLUICE_CONCURRENCY);
      const stopWorkers = await startWorkers(sluice, config, logger, concurrency).catch(closingOnFailure(sluice));
      logger.info({ backend: sluice.backend.name, pid: process.pid }, 'sluice worker running');

      const signal = await untilSignal();
      logger.info({ signal, graceMs: config.SLUICE_SHUTDOWN_GRACE_MS }, 'shutting down: finishing in-flight jobs');
      await stopWorkers();
      await sluice.close();
      logger.info('stopped');
    });
}
