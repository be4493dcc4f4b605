import type { Redis } from 'ioredis';
import type { RedisClient } from './connection.js';

/**
 * What Sluice needs from the Redis server to keep accepted jobs: an append-only file (a 202 must
 * survive a Redis restart) and no eviction (an evicted job hash is a lost job). Returns one warning
 * per setting that is off, or one that says the settings could not be read (CONFIG is often
 * disabled or renamed on managed Redis).
 */
export async function checkRedisConfig(redis: Redis): Promise<string[]> {
  let appendonly: string | undefined;
  let policy: string | undefined;
  try {
    appendonly = configValue(await redis.config('GET', 'appendonly'));
    policy = configValue(await redis.config('GET', 'maxmemory-policy'));
  } catch (error) {
    return [
      `could not check the Redis persistence settings (CONFIG GET failed: ${(error as Error).message}); ` +
        'make sure the server runs with appendonly yes and maxmemory-policy noeviction, or accepted jobs can be lost',
    ];
  }
  const warnings: string[] = [];
  if (appendonly !== 'yes') {
    warnings.push(
      `Redis runs with appendonly ${appendonly ?? '(unknown)'}: accepted jobs are lost when Redis restarts; ` +
        'set appendonly yes (and appendfsync everysec or always), see docs/redis.md',
    );
  }
  if (policy !== 'noeviction') {
    warnings.push(
      `Redis runs with maxmemory-policy ${policy ?? '(unknown)'}: under memory pressure it may evict job keys; ` +
        'set maxmemory-policy noeviction, see docs/redis.md',
    );
  }
  return warnings;
}

/** CONFIG GET answers [name, value] (RESP2). */
function configValue(reply: unknown): string | undefined {
  return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
}

/**
 * Whether the server runs in cluster mode (`INFO cluster`), or undefined when INFO cannot be read.
 * A single-node connection to a cluster node would fail on its first enqueue (the enqueue script
 * writes the global indexes beside the queue's keys, and a cluster refuses that across slots), so
 * the backend refuses such a connection at open with a clear message instead.
 */
export async function isClusterMode(redis: RedisClient): Promise<boolean | undefined> {
  try {
    const info = await redis.info('cluster');
    const match = /^cluster_enabled:(\d)/m.exec(info);
    return match ? match[1] === '1' : undefined;
  } catch {
    return undefined;
  }
}
