import { z } from 'zod';
import { defaultCpuThreads } from '../models/cpu-threads.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== ''),
  )
  .pipe(z.array(z.string()));

const DAY = 24 * 3600 * 1000;

/**
 * Every SLUICE_* variable, its type and default. The one place that reads configuration; a bad
 * value stops start-up with a message naming the variable.
 */
export const envSchema = z.object({
  /** Backend URL: sqlite:PATH (default), postgres://, redis://, amqp:// or nats:// (the last two with SLUICE_STORE). */
  SLUICE_BACKEND: z.string().min(1).default('sqlite:./data/sluice.db'),
  /** The job store when SLUICE_BACKEND is amqp:// or nats:// (the broker delivers, the store keeps records). */
  SLUICE_STORE: z.string().min(1).optional(),
  /** Create or upgrade a server backend's schema at start (`false`: run `sluice migrate` yourself). */
  SLUICE_AUTO_MIGRATE: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  SLUICE_PORT: int(0, 65535).default(8080),
  /** Interface to listen on. 127.0.0.1 by default; 0.0.0.0 in containers. */
  SLUICE_HOST: z.string().min(1).default('127.0.0.1'),
  /** `key=tenant` pairs, comma separated; tenant `*` makes an admin key. Empty: no auth. */
  SLUICE_API_KEYS: z.string().default(''),
  /** Jobs one worker process runs at once. */
  SLUICE_CONCURRENCY: int(0, 10_000).default(4),
  /** Threads of each CPU pool (factorial, NLP) per process: cores - 1 by default, one core left to the event loop. */
  SLUICE_CPU_THREADS: int(1, 1024).default(defaultCpuThreads()),
  /** Jobs a worker claims ahead of its free slots (held under lease); 0 = only for free slots. */
  SLUICE_PREFETCH: int(0, 10_000).default(0),
  SLUICE_QUEUES: list.default(['default']),
  /** Binds the process's worker to one tenant: it claims only that tenant's jobs. Unset: every tenant's. */
  SLUICE_WORKER_TENANT: z.string().trim().min(1).optional(),
  SLUICE_LEASE_MS: int(1000, DAY).default(30_000),
  SLUICE_SHUTDOWN_GRACE_MS: int(0, DAY).default(30_000),
  SLUICE_POLL_INTERVAL_MS: int(10, 60_000).default(250),
  SLUICE_REAPER_INTERVAL_MS: int(100, 3_600_000).default(1000),
  /** Succeeded and cancelled jobs are deleted this long after they finished. */
  SLUICE_RETENTION_MS: int(0, 3650 * DAY).default(7 * DAY),
  /** Failed (dead-letter) jobs are kept this long. */
  SLUICE_FAILED_RETENTION_MS: int(0, 3650 * DAY).default(30 * DAY),
  SLUICE_RETENTION_INTERVAL_MS: int(1000, DAY).default(60_000),
  SLUICE_BODY_LIMIT_BYTES: int(1024, 100 * 1024 * 1024).default(1024 * 1024),
  /** Longest `?wait=` a client may ask for, in seconds. */
  SLUICE_MAX_WAIT_SECONDS: int(0, 3600).default(60),
  /** The API's public base URL (behind a proxy), named as the server in /openapi.json; default: relative. */
  SLUICE_PUBLIC_URL: z.url().optional(),
  /** HTTP server bounds (src/server/http-limits.ts holds the defaults). Receiving a whole request: */
  SLUICE_REQUEST_TIMEOUT_MS: int(100, DAY).optional(),
  /** Receiving a request's headers (at most the request timeout). */
  SLUICE_HEADERS_TIMEOUT_MS: int(100, DAY).optional(),
  /** An idle keep-alive connection between requests. */
  SLUICE_KEEP_ALIVE_TIMEOUT_MS: int(100, DAY).optional(),
  /** A connection with no traffic; default the longest long poll plus 10 s. */
  SLUICE_CONNECTION_TIMEOUT_MS: int(100, DAY).optional(),
  /** Requests per connection before the server closes it (0: no limit). */
  SLUICE_MAX_REQUESTS_PER_SOCKET: int(0, 1_000_000).optional(),
  /** Open HTTP connections at once; more are closed as they arrive. */
  SLUICE_MAX_CONNECTIONS: int(1, 1_000_000).optional(),
  /** How long /readyz waits for the backend before answering 503. */
  SLUICE_READY_TIMEOUT_MS: int(100, 600_000).optional(),
  /** Push (SSE, WebSocket; src/server/push/push.ts holds the defaults). The event hub's fallback read
   * of the event log while streams are open, besides the wake-ups. */
  SLUICE_EVENTS_POLL_MS: int(10, 60_000).optional(),
  /** An SSE comment (a WebSocket ping) this often keeps proxies from closing an idle stream. */
  SLUICE_EVENTS_KEEPALIVE_MS: int(100, 3_600_000).optional(),
  /** Bytes a stream's connection may hold unsent before the client counts as too slow and is cut. */
  SLUICE_EVENTS_BUFFER_BYTES: int(1024, 1024 * 1024 * 1024).optional(),
  /** Webhooks (job spec `webhook`, POST /v1/webhooks) and their delivery in this process: `off` refuses them. */
  SLUICE_WEBHOOKS: z.enum(['on', 'off']).default('on'),
  /** Signing secrets (whsec_…) of a deployment without tenants, newest first, space or comma separated;
   * every one signs (rotation: the new one first, drop the old after the overlap). Empty: one kept in the backend. */
  SLUICE_WEBHOOK_SECRET: z
    .string()
    .default('')
    .transform((s) => s.split(/[\s,]+/).filter(Boolean)),
  /** Hosts, IPs or CIDRs a webhook may reach although the SSRF guard refuses them (e.g. 127.0.0.1 for tests). */
  SLUICE_WEBHOOK_ALLOW: z.string().default(''),
  /** One delivery attempt: connect, send and the answer together. */
  SLUICE_WEBHOOK_TIMEOUT_MS: int(100, 300_000).default(10_000),
  /** A delivery is retried (exponential backoff with jitter) for at most this long. */
  SLUICE_WEBHOOK_RETRY_FOR_MS: int(1_000, 7 * DAY).default(DAY),
  /** The first retry waits up to this long; each later one twice as long, up to an hour. */
  SLUICE_WEBHOOK_RETRY_DELAY_MS: int(10, 3_600_000).default(5_000),
  /** Deliveries in flight at once per process. */
  SLUICE_WEBHOOK_CONCURRENCY: int(1, 1_000).default(16),
  /** Deliveries in flight at once to one receiver (scheme, host, port) per process. */
  SLUICE_WEBHOOK_ENDPOINT_CONCURRENCY: int(1, 1_000).default(4),
  /** How long a tenant's rotated-out secret keeps signing. */
  SLUICE_WEBHOOK_ROTATION_OVERLAP_MS: int(0, 30 * DAY).default(DAY),
  /** Job types the API accepts besides the built-in handlers (comma separated); `*` accepts any. */
  SLUICE_JOB_TYPES: list.default([]),
  SLUICE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` lines for machines; `pretty` (coloured, one readable line per record) for a terminal. */
  SLUICE_LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  /** Where the CLI's client commands send requests. */
  SLUICE_URL: z.url().default('http://127.0.0.1:8080'),
  /** API key the CLI's client commands send. */
  SLUICE_API_KEY: z.string().optional(),
  /** OpenAI-compatible providers for `chat` / `embed`: a JSON list, or `@path/to/file.json` (see docs/providers.md). */
  SLUICE_PROVIDERS: z.string().optional(),
});

export type Env = z.output<typeof envSchema>;
export type EnvName = keyof Env;
