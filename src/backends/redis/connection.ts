import { Cluster, Redis } from 'ioredis';
import { ErrorCodes, SluiceError } from '../../core/errors.js';
import { checkPrefix } from './keys.js';
import { SCRIPTS } from './lua.js';
import { clearStaleSocketTimers } from './stale-socket-timer.js';

export const DEFAULT_PREFIX = 'sluice';

/** A single Redis node or a Redis Cluster: the adapter speaks to both through the same commands. */
export type RedisClient = Redis | Cluster;

/** A Redis Cluster to connect to: its seed nodes and the credentials every node shares. */
export interface ClusterTarget {
  nodes: Array<{ host: string; port: number }>;
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

/** Where to connect: `url` for a single node, `cluster` for a Redis Cluster. */
export interface RedisTarget {
  /** The URL ioredis gets for a single node (Sluice's query parameters removed). */
  url: string;
  prefix: string | undefined;
  /** Set when the URL asks for Redis Cluster (`?cluster=1`). */
  cluster: ClusterTarget | undefined;
  /** The longest a command may wait for its reply (`?commandTimeoutMs=`), see connect. */
  commandTimeoutMs: number;
}

/** Default bound on one command: far above any script's run time, short enough to answer 503. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

const configError = (message: string) => new SluiceError(ErrorCodes.config, message, { field: 'SLUICE_BACKEND' });

/**
 * `redis://[user:pass@]host:port[/db][?prefix=NAME]` for one node;
 * `redis://[user:pass@]host:port[,host:port…][?cluster=1][&prefix=NAME]` for Redis Cluster (the hosts
 * are seed nodes: ioredis discovers the rest of the cluster from any of them). `rediss://` for TLS.
 * `prefix` and `cluster` are Sluice's, so they are taken out before ioredis sees the URL.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/i.exec(url);
  const authority = match?.[2] ?? '';
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at + 1) : '';
  const hosts = (at >= 0 ? authority.slice(at + 1) : authority).split(',');
  let parsed: URL;
  try {
    // The first host stands for all of them while the rest of the URL is parsed.
    parsed = new URL(match ? `${match[1]}${userinfo}${hosts[0]}${match[3]}` : url);
  } catch {
    throw configError(`invalid redis URL "${url}"`);
  }
  const prefix = parsed.searchParams.get('prefix') ?? undefined;
  const clusterParam = parsed.searchParams.get('cluster');
  const commandTimeoutMs = parseTimeout(parsed.searchParams.get('commandTimeoutMs'));
  parsed.searchParams.delete('prefix');
  parsed.searchParams.delete('cluster');
  parsed.searchParams.delete('commandTimeoutMs');
  let isCluster = false;
  if (clusterParam !== null) {
    if (/^(1|true|yes)$/i.test(clusterParam)) isCluster = true;
    else if (!/^(0|false|no)$/i.test(clusterParam))
      throw configError(`redis URL option cluster must be 1 or 0, got "${clusterParam}"`);
  }
  if (!isCluster) {
    if (hosts.length > 1) throw configError(`several hosts in a redis URL name a Redis Cluster: add ?cluster=1 ("${url}")`);
    return { url: parsed.toString(), prefix, cluster: undefined, commandTimeoutMs };
  }
  if (parsed.pathname !== '' && parsed.pathname !== '/' && parsed.pathname !== '/0') {
    throw configError('Redis Cluster has only database 0: remove the database number from the redis URL');
  }
  const nodes = hosts.map((host) => {
    let node: URL;
    try {
      node = new URL(`redis://${host}`);
    } catch {
      throw configError(`invalid Redis Cluster node "${host}" in redis URL`);
    }
    return { host: node.hostname.replace(/^\[(.*)\]$/, '$1'), port: node.port === '' ? 6379 : Number(node.port) };
  });
  return {
    url: parsed.toString(),
    prefix,
    commandTimeoutMs,
    cluster: {
      nodes,
      username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
      password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
      tls: parsed.protocol === 'rediss:',
    },
  };
}

function parseTimeout(text: string | null): number {
  if (text === null) return DEFAULT_COMMAND_TIMEOUT_MS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw configError(`redis URL option commandTimeoutMs must be a positive whole number of milliseconds, got "${text}"`);
  }
  return value;
}

/**
 * Options both kinds of client share (a Cluster passes them to each node's connection). Every call
 * settles within `commandTimeout` (invariant 7), whatever the network does:
 * - `commandTimeout`: a command without a reply by then fails (SLUICE_BACKEND_UNAVAILABLE). This
 *   also settles commands that were on the wire when a connection dropped: ioredis does not re-send
 *   them (autoResendUnfulfilledCommands off) and forgets them without rejecting their promises.
 * - `socketTimeout`: a connection that owes replies and receives nothing for as long is destroyed
 *   and reconnected. A stalled or silently dropping network otherwise keeps the old connection, and
 *   its late replies would be paired with later commands.
 * - No offline queue on one node: a command issued while the connection is down fails at once.
 *   Queued, a command that timed out there was still sent once the connection came back: a claim
 *   its caller had given up on then leased jobs to no one (they waited for their lease to expire).
 *   (A Cluster keeps its nodes' queues: ioredis does not let them be turned off.)
 * Nothing is re-sent by the client, so no write applies twice behind the caller's back. A caller
 * that retries after a timeout may repeat a write that did apply: enqueues are deduplicated by
 * idempotency key, settlements, heartbeats and releases are fenced by the lease token (a repeat
 * answers lease_lost), and a claim whose reply was lost leaves its jobs leased until the reaper
 * takes them back.
 */
function nodeOptions(commandTimeoutMs: number) {
  return {
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 20,
    commandTimeout: commandTimeoutMs,
    socketTimeout: commandTimeoutMs,
    // A connection attempt into a dead network fails as soon, instead of after ioredis's 10 s.
    connectTimeout: commandTimeoutMs,
    keepAlive: 10_000,
  } as const;
}

/**
 * Opens the command connection and registers the scripts (EVALSHA, re-sent on NOSCRIPT). ioredis
 * reconnects by itself; see nodeOptions for how every command stays bounded meanwhile.
 *
 * On a Cluster, ioredis routes each command by its first key's slot (a script by KEYS[1], the
 * queue's meta key), follows MOVED/ASK redirections, and auto-pipelining sends the commands issued
 * in one tick as one pipeline per node (the backend's per-queue calls fan out over slots there).
 */
export async function connect(target: RedisTarget): Promise<RedisClient> {
  const client: RedisClient =
    target.cluster === undefined
      ? // No auto-pipelining on one node: the backend batches its own calls (claims, settlements,
        // MULTI for enqueues), and auto-pipelining wrapped each remaining lone command in a Pipeline
        // object of its own: measured twice the garbage per job, 2-3 ms scavenges in the latency
        // tail, and end-to-end c=1 4.0k vs 5.7k jobs/s (docs/benchmarks.md).
        new Redis(target.url, { lazyConnect: true, enableOfflineQueue: false, ...nodeOptions(target.commandTimeoutMs) })
      : new Cluster(target.cluster.nodes, {
          lazyConnect: true,
          enableAutoPipelining: true,
          // The Cluster's own queue (while it rediscovers its nodes) has no timeout: a call then
          // fails at once as SLUICE_BACKEND_UNAVAILABLE instead. Each node keeps its bounded queue.
          enableOfflineQueue: false,
          redisOptions: {
            ...nodeOptions(target.commandTimeoutMs),
            ...(target.cluster.username === undefined ? {} : { username: target.cluster.username }),
            ...(target.cluster.password === undefined ? {} : { password: target.cluster.password }),
            ...(target.cluster.tls ? { tls: {} } : {}),
          },
        });
  // Without a listener ioredis prints every connection error; they surface through the calls instead.
  client.on('error', () => undefined);
  clearStaleSocketTimers(client);
  for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(name, { numberOfKeys: 1, lua });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new SluiceError(ErrorCodes.backendUnavailable, `redis: cannot connect (${(error as Error).message})`, { cause: error });
  }
  return client;
}

/** The nodes that hold data: every master of a Cluster, or the one node. */
export function dataNodes(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

export function resolvePrefix(option: string | undefined, fromUrl: string | undefined): string {
  return checkPrefix(option ?? fromUrl ?? DEFAULT_PREFIX);
}
