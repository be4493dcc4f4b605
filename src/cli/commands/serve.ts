import { Command } from 'commander';
import { loadConfig, parseApiKeys } from '../../config/config.js';
import { BUILTIN_HANDLER_TYPES, MODEL_HANDLER_TYPES } from '../../handlers/builtin-types.js';
import { PROVIDER_HANDLER_TYPES } from '../../handlers/provider-handlers.js';
import { createLogger } from '../../observability/logger.js';
import { createMetrics } from '../../observability/metrics.js';
import { buildApp } from '../../server/app.js';
import { Sluice } from '../../sluice.js';
import { startWorkers } from '../start-workers.js';
import { backendStartupError, closingOnFailure, listenStartupError } from '../startup-error.js';
import { untilSignal } from '../until-signal.js';
import { webhookSettingsFrom } from '../webhook-settings.js';

interface ServeFlags {
  port?: string;
  host?: string;
  backend?: string;
  workers?: string;
  prefetch?: string;
  cpuThreads?: string;
  queues?: string;
}

/** `sluice serve`: the HTTP API plus embedded workers (`--workers 0`: API only). */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run the HTTP API with embedded workers')
    .option('-p, --port <port>', 'port to listen on (env SLUICE_PORT, default 8080)')
    .option('--host <host>', 'interface to listen on (env SLUICE_HOST, default 127.0.0.1)')
    .option('-b, --backend <url>', 'backend URL (env SLUICE_BACKEND, default sqlite:./data/sluice.db)')
    .option('-w, --workers <n>', 'jobs the embedded worker runs at once; 0 = API only (env SLUICE_CONCURRENCY, default 4)')
    .option('--prefetch <n>', 'jobs the embedded worker claims ahead of free slots (env SLUICE_PREFETCH, default 0)')
    .option('--cpu-threads <n>', 'threads of each CPU pool (factorial, NLP); env SLUICE_CPU_THREADS, default cores - 1')
    .option('-q, --queues <list>', 'queues the embedded worker takes from (env SLUICE_QUEUES, default "default")')
    .action(async (flags: ServeFlags) => {
      const config = loadConfig(process.env, {
        SLUICE_PORT: flags.port,
        SLUICE_HOST: flags.host,
        SLUICE_BACKEND: flags.backend,
        SLUICE_CONCURRENCY: flags.workers,
        SLUICE_PREFETCH: flags.prefetch,
        SLUICE_CPU_THREADS: flags.cpuThreads,
        SLUICE_QUEUES: flags.queues,
      });
      const logger = createLogger(config.SLUICE_LOG_LEVEL, { format: config.SLUICE_LOG_FORMAT });
      const sluice = await Sluice.connect(config.SLUICE_BACKEND, {
        migrate: config.SLUICE_AUTO_MIGRATE,
        store: config.SLUICE_STORE,
        webhooks: webhookSettingsFrom(config),
      }).catch((error: unknown) => Promise.reject(backendStartupError(error)));
      const extraTypes = config.SLUICE_JOB_TYPES;
      const app = await buildApp({
        sluice,
        apiKeys: parseApiKeys(config.SLUICE_API_KEYS),
        allowedTypes: extraTypes.includes('*')
          ? undefined
          : new Set([
              ...BUILTIN_HANDLER_TYPES,
              ...MODEL_HANDLER_TYPES,
              // chat and embed only where providers are configured: without them no worker could run the job.
              ...(config.SLUICE_PROVIDERS ? PROVIDER_HANDLER_TYPES : []),
              ...extraTypes,
            ]),
        bodyLimitBytes: config.SLUICE_BODY_LIMIT_BYTES,
        maxWaitSeconds: config.SLUICE_MAX_WAIT_SECONDS,
        publicUrl: config.SLUICE_PUBLIC_URL,
        readyTimeoutMs: config.SLUICE_READY_TIMEOUT_MS,
        httpLimits: {
          requestTimeoutMs: config.SLUICE_REQUEST_TIMEOUT_MS,
          headersTimeoutMs: config.SLUICE_HEADERS_TIMEOUT_MS,
          keepAliveTimeoutMs: config.SLUICE_KEEP_ALIVE_TIMEOUT_MS,
          connectionTimeoutMs: config.SLUICE_CONNECTION_TIMEOUT_MS,
          maxRequestsPerSocket: config.SLUICE_MAX_REQUESTS_PER_SOCKET,
          maxConnections: config.SLUICE_MAX_CONNECTIONS,
        },
        push: {
          pollMs: config.SLUICE_EVENTS_POLL_MS,
          keepAliveMs: config.SLUICE_EVENTS_KEEPALIVE_MS,
          maxBufferedBytes: config.SLUICE_EVENTS_BUFFER_BYTES,
        },
        metrics: createMetrics(sluice.backend),
        loggerInstance: logger,
      });
      const address = await app
        .listen({ port: config.SLUICE_PORT, host: config.SLUICE_HOST })
        .catch((error: unknown) => Promise.reject(listenStartupError(error, config.SLUICE_HOST, config.SLUICE_PORT)))
        .catch(closingOnFailure(app, sluice));
      const stopWorkers = await startWorkers(sluice, config, logger, config.SLUICE_CONCURRENCY).catch(
        closingOnFailure(app, sluice),
      );
      logger.info({ address, backend: sluice.backend.name, workers: config.SLUICE_CONCURRENCY }, 'sluice serving');

      const signal = await untilSignal();
      logger.info({ signal, graceMs: config.SLUICE_SHUTDOWN_GRACE_MS }, 'shutting down: finishing in-flight work');
      // Stop taking requests and stop claiming at the same time; in-flight jobs get the grace period.
      await Promise.all([app.close(), stopWorkers()]);
      await sluice.close();
      logger.info('stopped');
    });
}
