import type { Backend } from '../core/backend.js';
import type { Clock } from '../core/clock.js';
import { ErrorCodes, SluiceError } from '../core/errors.js';

/** Options every adapter understands. */
export interface OpenBackendOptions {
  /** Time source for adapters that keep time themselves (SQLite); tests inject a fake. */
  clock?: Clock | undefined;
  /** Create or upgrade the schema on open (server backends; SQLite always does). Default true. */
  migrate?: boolean | undefined;
  /** The job store URL for a transport-only backend (`amqp://…`, `nats://…`): SLUICE_STORE. */
  store?: string | undefined;
}

export const DEFAULT_BACKEND_URL = 'sqlite:./data/sluice.db';

/**
 * Opens the backend named by a URL. The only file that names every adapter: each is imported
 * dynamically so that a SQLite user never loads a PostgreSQL driver and vice versa.
 *
 * - `sqlite:./data/sluice.db`, `sqlite:/abs/path.db`, `sqlite::memory:`;
 *   query `?synchronous=full|normal|off` sets durability (default normal, see README).
 * - `postgres://user@host:5432/db` (query `?schema=NAME` for a schema other than `sluice`).
 * - `redis://host:6379/0` (query `?prefix=NAME` for a key prefix other than `sluice`;
 *   Redis Cluster: `redis://host:7000,host:7001?cluster=1`).
 * - `amqp://user:pass@host:5672/vhost` with `options.store` (SLUICE_STORE) naming the job store;
 *   query `?prefix=NAME` for a queue-name prefix other than `sluice` (see docs/rabbitmq.md).
 * - `nats://host:4222` (NATS JetStream) with `options.store` (SLUICE_STORE) the same way;
 *   query `?prefix=NAME` for a stream-name prefix other than `sluice` (see docs/nats.md).
 */
export async function openBackend(url: string = DEFAULT_BACKEND_URL, options: OpenBackendOptions = {}): Promise<Backend> {
  const scheme = url.slice(0, url.indexOf(':') + 1).toLowerCase();
  switch (scheme) {
    case 'sqlite:': {
      const { openSqliteBackend } = await import('./sqlite/sqlite-backend.js');
      return openSqliteBackend({ ...parseSqliteUrl(url), ...(options.clock ? { clock: options.clock } : {}) });
    }
    case 'postgres:':
    case 'postgresql:': {
      const { openPostgresBackend } = await import('./postgres/postgres-backend.js');
      return openPostgresBackend({ url, migrate: options.migrate ?? true, ...(options.clock ? { clock: options.clock } : {}) });
    }
    case 'redis:':
    case 'rediss:': {
      const { openRedisBackend } = await import('./redis/redis-backend.js');
      return openRedisBackend({ url, ...(options.clock ? { clock: options.clock } : {}) });
    }
    case 'amqp:':
    case 'amqps:': {
      const storeUrl = transportStore('amqp://', options.store);
      const { openRabbitmqBackend } = await import('./rabbitmq/rabbitmq-backend.js');
      const { prefix, url: brokerUrl } = splitPrefix(url);
      const store = await openBackend(storeUrl, { ...options, store: undefined });
      try {
        return await openRabbitmqBackend({
          url: brokerUrl,
          store,
          ...(prefix ? { prefix } : {}),
          ...(options.clock ? { clock: options.clock } : {}),
        });
      } catch (error) {
        await store.close();
        throw error;
      }
    }
    case 'nats:': {
      const storeUrl = transportStore('nats://', options.store);
      const { openNatsBackend } = await import('./nats/nats-backend.js');
      const store = await openBackend(storeUrl, { ...options, store: undefined });
      try {
        return await openNatsBackend({ url, store, ...(options.clock ? { clock: options.clock } : {}) });
      } catch (error) {
        await store.close();
        throw error;
      }
    }
    default:
      throw new SluiceError(ErrorCodes.config, `unknown backend URL "${url}": expected sqlite:PATH, postgres://… or redis://…`, {
        field: 'SLUICE_BACKEND',
      });
  }
}

/** The store a transport-only backend (amqp://, nats://) runs over: SLUICE_STORE, itself no transport. */
function transportStore(backend: string, store: string | undefined): string {
  if (store === undefined || store === '') {
    throw new SluiceError(
      ErrorCodes.config,
      `an ${backend} backend needs a job store: set SLUICE_STORE=sqlite:…|postgres://…|redis://…`,
      {
        field: 'SLUICE_STORE',
      },
    );
  }
  const storeScheme = store.slice(0, store.indexOf(':') + 1).toLowerCase();
  if (['amqp:', 'amqps:', 'nats:'].includes(storeScheme)) {
    throw new SluiceError(ErrorCodes.config, 'SLUICE_STORE must be a sqlite:, postgres:// or redis:// URL', {
      field: 'SLUICE_STORE',
    });
  }
  return store;
}

const SYNC_MODES = ['full', 'normal', 'off'] as const;
type SyncMode = (typeof SYNC_MODES)[number];

/** `sqlite:PATH[?synchronous=MODE]`, PATH relative to the working directory; `sqlite://PATH` too. */
export function parseSqliteUrl(url: string): { path: string; synchronous?: SyncMode } {
  let rest = url.slice('sqlite:'.length);
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (rest.startsWith('//')) rest = rest.slice(2);
  if (rest === '')
    throw new SluiceError(ErrorCodes.config, 'sqlite URL needs a path, e.g. sqlite:./data/sluice.db', {
      field: 'SLUICE_BACKEND',
    });
  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (key !== 'synchronous') {
      throw new SluiceError(ErrorCodes.config, `unknown sqlite URL option "${key}" (known: synchronous)`, {
        field: 'SLUICE_BACKEND',
      });
    }
  }
  const sync = params.get('synchronous');
  if (sync === null) return { path: rest };
  if (!(SYNC_MODES as readonly string[]).includes(sync)) {
    throw new SluiceError(ErrorCodes.config, `sqlite synchronous must be one of ${SYNC_MODES.join(', ')}`, {
      field: 'SLUICE_BACKEND',
    });
  }
  return { path: rest, synchronous: sync as SyncMode };
}

/** Takes the adapter's own `prefix` option off an amqp URL (amqplib would pass it to the broker). */
function splitPrefix(url: string): { url: string; prefix?: string } {
  const q = url.indexOf('?');
  if (q < 0) return { url };
  const params = new URLSearchParams(url.slice(q + 1));
  const prefix = params.get('prefix');
  params.delete('prefix');
  const rest = params.toString();
  const bare = `${url.slice(0, q)}${rest === '' ? '' : `?${rest}`}`;
  return prefix === null ? { url: bare } : { url: bare, prefix };
}
