import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { openPostgresBackend } from '../../src/backends/postgres/postgres-backend.js';
import { RedisBackend } from '../../src/backends/redis/redis-backend.js';
import { openSqliteBackend } from '../../src/backends/sqlite/sqlite-backend.js';
import type { Backend } from '../../src/core/backend.js';
import type { FakeClock } from './fake-clock.js';
import { dropRedisPrefix } from './redis-prefix.js';
import { serviceSkipReason } from './require-service.js';
import { makeTempDir } from './temp-dir.js';

/** The job stores a transport (RabbitMQ, NATS) runs over in tests. */
export type StoreKind = 'sqlite' | 'redis' | 'postgres';

export const redisUrl = process.env.SLUICE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const pgUrl = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why the Redis store's tests cannot run (undefined: they can); throws under SLUICE_REQUIRE_SERVICES=1. */
export function redisStoreSkip(): Promise<string | undefined> {
  return serviceSkipReason('Redis', redisUrl, async () => {
    const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
    } finally {
      probe.disconnect();
    }
  });
}

/** The same for the PostgreSQL store. */
export function pgStoreSkip(): Promise<string | undefined> {
  return serviceSkipReason('PostgreSQL', pgUrl, () => pgAdmin((client) => client.query('SELECT 1')).then(() => undefined));
}

async function pgAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const quiet = () => undefined;

/** A store of its own for one test: a temp SQLite file, a Redis key prefix or a PostgreSQL schema. */
export interface StoreRig {
  kind: StoreKind;
  /** Opens a handle on the store (each call a new one: another process's view). */
  open(clock?: FakeClock): Promise<Backend>;
  /** The store's URL, for openBackend's SLUICE_STORE. */
  url: string;
  /** Removes the store. */
  cleanup(): Promise<void>;
}

export function storeRig(kind: StoreKind, options: { maxOutputBytes?: number } = {}): StoreRig {
  if (kind === 'redis') {
    const prefix = `sluicetest-${randomUUID()}`;
    return {
      kind,
      url: `${redisUrl}?prefix=${prefix}`,
      open: (clock) =>
        RedisBackend.open({
          url: redisUrl,
          prefix,
          warn: quiet,
          maxOutputBytes: options.maxOutputBytes,
          ...(clock ? { clock } : {}),
        }),
      cleanup: () => dropRedisPrefix(redisUrl, prefix),
    };
  }
  if (kind === 'postgres') {
    const schema = `sluice_test_${randomBytes(6).toString('hex')}`;
    return {
      kind,
      url: `${pgUrl}?schema=${schema}`,
      open: (clock) => openPostgresBackend({ url: pgUrl, schema, poolSize: 4, ...(clock ? { clock } : {}) }),
      cleanup: () => pgAdmin((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)).then(() => undefined),
    };
  }
  const tmp = makeTempDir('sluice-transport-');
  const path = join(tmp.dir, 'store.db');
  return {
    kind,
    url: `sqlite:${path}`,
    open: (clock) => openSqliteBackend({ path, ...(clock ? { clock } : {}) }),
    cleanup: async () => tmp.cleanup(),
  };
}
