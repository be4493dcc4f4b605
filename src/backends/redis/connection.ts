import { Cluster, Redis } from 'ioredis';
import { ErrorCodes, SluiceError } from '../../core/errors.js';
import { checkPrefix } from './keys.js';
import { SCRIPTS } from './lua.js';

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
}

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
  parsed.searchParams.delete('prefix');
  parsed.searchParams.delete('cluster');
  let isCluster = false;
  if (clusterParam !== null) {
    if (/^(1|true|yes)$/i.test(clusterParam)) isCluster = true;
    else if (!/^(0|false|no)$/i.test(clusterParam))
      throw configError(`redis URL option cluster must be 1 or 0, got "${clusterParam}"`);
  }
  if (!isCluster) {
    if (hosts.length > 1) throw configError(`several hosts in a redis URL name a Redis Cluster: add ?cluster=1 ("${url}")`);
    return { url: parsed.toString(), prefix, cluster: undefined };
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
    cluster: {
      nodes,
      username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
      password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
      tls: parsed.protocol === 'rediss:',
    },
  };
}

/** Options both kinds of client share (a Cluster passes them to each node's connection). */
const NODE_OPTIONS = {
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 20,
} as const;

/**
 * Opens the command connection and registers the scripts (EVALSHA, re-sent on NOSCRIPT). ioredis
 * reconnects by itself; commands issued while it does wait in its offline queue (up to
 * maxRetriesPerRequest reconnect attempts, then they fail as SLUICE_BACKEND_UNAVAILABLE). Commands
 * already sent when a connection drops are not re-sent: a claim whose reply was lost must not run
 * twice (its jobs come back by lease instead).
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
        new Redis(target.url, { lazyConnect: true, ...NODE_OPTIONS })
      : new Cluster(target.cluster.nodes, {
          lazyConnect: true,
          enableAutoPipelining: true,
          redisOptions: {
            ...NODE_OPTIONS,
            ...(target.cluster.username === undefined ? {} : { username: target.cluster.username }),
            ...(target.cluster.password === undefined ? {} : { password: target.cluster.password }),
            ...(target.cluster.tls ? { tls: {} } : {}),
          },
        });
  // Without a listener ioredis prints every connection error; they surface through the calls instead.
  client.on('error', () => undefined);
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
