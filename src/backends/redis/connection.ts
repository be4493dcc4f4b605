import { Redis } from 'ioredis';
import { ErrorCodes, SluiceError } from '../../core/errors.js';
import { checkPrefix } from './keys.js';
import { SCRIPTS } from './lua.js';

export const DEFAULT_PREFIX = 'sluice';

/** `redis://…?prefix=NAME`: the prefix is Sluice's, so it is taken out before ioredis sees the URL. */
export function parseRedisUrl(url: string): { url: string; prefix: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SluiceError(ErrorCodes.config, `invalid redis URL "${url}"`, { field: 'SLUICE_BACKEND' });
  }
  const prefix = parsed.searchParams.get('prefix') ?? undefined;
  parsed.searchParams.delete('prefix');
  return { url: parsed.toString(), prefix };
}

/**
 * Opens the command connection and registers the scripts (EVALSHA, re-sent on NOSCRIPT). ioredis
 * reconnects by itself; commands issued while it does wait in its offline queue (up to
 * maxRetriesPerRequest reconnect attempts, then they fail as SLUICE_BACKEND_UNAVAILABLE). Commands
 * already sent when a connection drops are not re-sent: a claim whose reply was lost must not run
 * twice (its jobs come back by lease instead).
 */
export async function connect(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableAutoPipelining: true,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 20,
  });
  // Without a listener ioredis prints every connection error; they surface through the calls instead.
  redis.on('error', () => undefined);
  for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: 1, lua });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new SluiceError(ErrorCodes.backendUnavailable, `redis: cannot connect (${(error as Error).message})`, { cause: error });
  }
  return redis;
}

export function resolvePrefix(option: string | undefined, fromUrl: string | undefined): string {
  return checkPrefix(option ?? fromUrl ?? DEFAULT_PREFIX);
}
