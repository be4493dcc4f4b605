import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { z } from 'zod';
import { ErrorCodes, SluiceError } from '../core/errors.js';
import { checkJsonValue, JSON_LIMITS } from '../core/json-bounds.js';
import { BUILTIN_INPUT_SCHEMAS } from '../handlers/input-schemas.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import type { Sluice } from '../sluice.js';
import { type ApiKey, Authenticator } from './auth.js';
import { clientErrorHandler } from './client-errors.js';
import type { ServerContext } from './context.js';
import { closeFreshConnectionsOnClose } from './fresh-connections.js';
import { installErrorHandling, sendError } from './http-errors.js';
import { type GivenHttpLimits, resolveHttpLimits, serverOptionsFor } from './http-limits.js';
import { LongPolls } from './long-poll.js';
import { type GivenPushOptions, Push } from './push/push.js';
import { OneLinePerRequest } from './request-logging.js';
import { dlqRoutes } from './routes/dlq.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { metricsRoutes } from './routes/metrics.js';
import { openApiRoutes } from './routes/openapi.js';
import { queueRoutes } from './routes/queues.js';
import { usageRoutes } from './routes/usage.js';
import { webhookRoutes } from './routes/webhooks.js';
import { wsRoutes } from './routes/ws.js';

export interface AppOptions {
  sluice: Sluice;
  /** API key secret → what it grants. When set and non-empty, every route but /healthz, /readyz and
   * /openapi.json needs a key, and jobs are scoped to the key's tenant. */
  apiKeys?: ReadonlyMap<string, ApiKey> | undefined;
  /** When set, submitting a job type outside it is 400 SLUICE_UNKNOWN_TYPE naming the field. */
  allowedTypes?: ReadonlySet<string> | undefined;
  /**
   * Job type -> zod schema of its input, checked at submit (400 naming the field, `input.n`, and
   * nothing stored). Merged over the built-in handlers' schemas; give a type `z.unknown()` to take
   * any input (a custom handler that replaces a built-in type).
   */
  inputSchemas?: Readonly<Record<string, z.ZodType>> | undefined;
  /** Largest request body in bytes (default 1 MiB); larger is 413. */
  bodyLimitBytes?: number | undefined;
  /** Upper bound of `?wait=` on GET /v1/jobs/{id} (default 60). */
  maxWaitSeconds?: number | undefined;
  /** How long /readyz waits for the backend before it answers 503 (default 2000 ms). */
  readyTimeoutMs?: number | undefined;
  /** Timeouts and connection caps of the HTTP server (see HttpLimits); unset ones take the defaults. */
  httpLimits?: GivenHttpLimits | undefined;
  /** Metrics to expose on /metrics; by default the app creates (and on close disposes of) its own. */
  metrics?: Metrics | undefined;
  /** Fastify's logger option: false (default), true, or pino options. */
  logger?: FastifyServerOptions['logger'] | undefined;
  /** The API's public base URL (e.g. behind a proxy), shown as the server in /openapi.json; by default
   * the document names its own origin (a relative URL). */
  publicUrl?: string | undefined;
  /** Event streams (SSE, WebSocket): keep-alive, the hub's poll, how far a client may fall behind. */
  push?: GivenPushOptions | undefined;
  /** A logger to use instead (the process's, so the API's lines share its level and format). */
  loggerInstance?: FastifyBaseLogger | undefined;
}

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
export const DEFAULT_MAX_WAIT_SECONDS = 60;
export const DEFAULT_READY_TIMEOUT_MS = 2_000;

/**
 * Builds the HTTP API on a Sluice instance. It never listens (the CLI does; tests use inject) and it
 * does not close the Sluice it was given: `app.close()` ends long-polls and disposes of what the app
 * created, the caller closes the Sluice.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const maxWaitSeconds = options.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS;
  const limits = resolveHttpLimits(options.httpLimits ?? {}, maxWaitSeconds);
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: options.logger ?? false }),
    logController: new OneLinePerRequest(),
    ...serverOptionsFor(limits),
    clientErrorHandler,
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // Fastify's own 503 while closing has its own body format; the onRequest hook below answers instead.
    return503OnClosing: false,
    // A malformed URL is refused before routing, outside the error handler: same format anyway.
    frameworkErrors: (error, request, reply) => {
      sendError(error, request, reply);
    },
  });

  app.server.maxConnections = limits.maxConnections;

  const ownMetrics = options.metrics === undefined;
  const metrics = options.metrics ?? createMetrics(options.sluice);
  const ctx: ServerContext = {
    sluice: options.sluice,
    auth: new Authenticator(options.apiKeys),
    allowedTypes: options.allowedTypes,
    inputSchemas: new Map(Object.entries({ ...BUILTIN_INPUT_SCHEMAS, ...options.inputSchemas })),
    maxWaitSeconds,
    readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    metrics,
    longPolls: new LongPolls(options.sluice),
    push: new Push(options.sluice, options.push ?? {}, {
      error: (error) => app.log.warn({ err: error }, 'event stream: reading the event log failed'),
      cut: (reason) => app.log.info({ reason }, 'event stream cut: the client resumes by its cursor'),
    }),
    routes: [],
    publicUrl: options.publicUrl,
  };

  installErrorHandling(app);
  installJsonOnly(app);
  closeFreshConnectionsOnClose(app);

  let closing = false;
  app.addHook('onRequest', async () => {
    if (closing) throw new SluiceError(ErrorCodes.shuttingDown, 'the server is shutting down');
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeHttp({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
    });
  });
  app.addHook('preClose', async () => {
    closing = true;
    ctx.longPolls.abortAll();
    ctx.push.endAll();
  });
  app.addHook('onClose', async () => {
    if (ownMetrics) metrics.close();
  });

  const routeSets = [
    healthRoutes,
    jobRoutes,
    eventRoutes,
    wsRoutes,
    queueRoutes,
    dlqRoutes,
    usageRoutes,
    webhookRoutes,
    metricsRoutes,
    openApiRoutes,
  ];
  for (const routes of routeSets) {
    await app.register(async (scope) => routes(scope, ctx));
  }
  return app;
}

/**
 * The API speaks JSON only: text/plain (which Fastify parses by default) becomes 415 like any other
 * type, and an empty JSON body is "no body" rather than an error (a POST that needs none, such as
 * cancel, may still carry the header). The JSON parsing itself stays Fastify's (prototype-poisoning
 * safe); the parsed value is then held to JSON_LIMITS (depth, keys, finite numbers, clean strings).
 */
const BODY_ENVELOPE_DEPTH = 3;

function installJsonOnly(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parse(request, text, (error, value) => {
      if (error) return done(error);
      // Bounded before any route looks at it (a job spec nests its input at most three levels down).
      try {
        checkJsonValue(value, '', { maxDepth: JSON_LIMITS.maxDepth + BODY_ENVELOPE_DEPTH });
      } catch (bounds) {
        return done(bounds as Error);
      }
      done(null, value);
    });
  });
}
