import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { connect as amqpConnect } from 'amqplib';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DELAY_BUCKETS_MS } from '../../src/backends/rabbitmq/topology.js';
import { type FaultableLink, ProxyGroup } from '../helpers/proxy-group.js';
import { startClusterWithRetries } from '../helpers/redis-cluster.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { freePort } from './processes.js';

export const PG_URL = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const AMQP_URL = process.env.SLUICE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export type BackendName = 'sqlite' | 'postgres' | 'redis' | 'redis-cluster' | 'rabbitmq';

/** One backend made for one scenario: its env, the fault proxies in front of its services. */
export interface BackendSetup {
  name: BackendName;
  env: Record<string, string>;
  /** Proxies between every Sluice process and the services, by role (empty for SQLite); a
   * Redis Cluster's store is a group, one proxy per node. */
  proxies: Partial<Record<'store' | 'broker', FaultableLink>>;
  /** Makes the store refuse writes as a full one would; resolves to the undo. Absent: not possible here. */
  fill?: () => Promise<() => Promise<void>>;
  cleanup(): Promise<void>;
}

export async function setUpBackend(name: BackendName): Promise<BackendSetup> {
  switch (name) {
    case 'sqlite':
      return sqlite();
    case 'postgres':
      return postgres();
    case 'redis':
      return redis();
    case 'redis-cluster':
      return redisCluster();
    case 'rabbitmq':
      return rabbitmq();
  }
}

/**
 * A SQLite file of its own. Where this process may mount (root), the file lives on a small tmpfs of
 * its own, and `fill` fills that filesystem with a ballast file: SQLite's writes then meet a real
 * ENOSPC (SQLITE_FULL). Elsewhere there is no `fill` and the full-store fault leaves SQLite out.
 */
function sqlite(): BackendSetup {
  const temp = makeTempDir('sluice-chaos-');
  const mounted = mountTmpfs(temp.dir, '64m');
  const ballast = join(temp.dir, 'ballast');
  return {
    name: 'sqlite',
    env: { SLUICE_BACKEND: `sqlite:${join(temp.dir, 'chaos.db')}` },
    proxies: {},
    ...(mounted
      ? {
          fill: async () => {
            fillFilesystem(ballast);
            return async () => rmSync(ballast, { force: true });
          },
        }
      : {}),
    cleanup: async () => {
      if (mounted) execFileSync('umount', [temp.dir]);
      temp.cleanup();
    },
  };
}

/** Mounts a tmpfs of `size` on `dir`; false where that is not allowed (not root, no mount). */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Writes `file` until its filesystem has no byte left (ENOSPC), big chunks first. */
function fillFilesystem(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const size of [1024 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** A PostgreSQL schema of its own behind a proxy; `fill` makes every insert fail with disk_full. */
async function pgStore(): Promise<{
  url: string;
  proxy: TcpProxy;
  schema: string;
  fill: BackendSetup['fill'];
  drop(): Promise<void>;
}> {
  const target = new URL(PG_URL);
  const proxy = await TcpProxy.start({ port: Number(target.port || 5432) });
  const schema = `sluice_chaos_${randomBytes(6).toString('hex')}`;
  const viaProxy = new URL(PG_URL);
  viaProxy.host = `127.0.0.1:${proxy.port}`;
  viaProxy.searchParams.set('schema', schema);
  const admin = () => new pg.Client({ connectionString: PG_URL });
  const sql = async (text: string) => {
    const client = admin();
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  return {
    url: viaProxy.toString(),
    proxy,
    schema,
    fill: async () => {
      // SQLSTATE 53100 is what PostgreSQL raises when its disk is full.
      await sql(`CREATE FUNCTION "${schema}".chaos_full() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$;
        CREATE TRIGGER chaos_full BEFORE INSERT OR UPDATE ON "${schema}".jobs FOR EACH ROW EXECUTE FUNCTION "${schema}".chaos_full();`);
      return () => sql(`DROP TRIGGER chaos_full ON "${schema}".jobs; DROP FUNCTION "${schema}".chaos_full();`);
    },
    drop: async () => {
      await proxy.close();
      await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}

async function postgres(): Promise<BackendSetup> {
  const store = await pgStore();
  return {
    name: 'postgres',
    env: { SLUICE_BACKEND: store.url },
    proxies: { store: store.proxy },
    ...(store.fill ? { fill: store.fill } : {}),
    cleanup: store.drop,
  };
}

/**
 * A redis-server of its own (no persistence needed: it is never restarted) behind a proxy, so that
 * `fill` can set maxmemory (writes then fail with OOM, as on a full Redis) without touching the
 * shared one.
 */
async function redis(): Promise<BackendSetup> {
  const port = await freePort();
  const server: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  // ioredis keeps retrying the connection (and queues the ping) until redis-server listens.
  const direct = new Redis({ port, host: '127.0.0.1', retryStrategy: (n) => (n > 100 ? null : 50) });
  direct.on('error', () => {}); // refused until redis-server listens; ioredis retries
  await direct.ping();
  const proxy = await TcpProxy.start({ port });
  return {
    name: 'redis',
    env: { SLUICE_BACKEND: `redis://127.0.0.1:${proxy.port}/0?prefix=chaos` },
    proxies: { store: proxy },
    fill: () => fillNode(direct),
    cleanup: async () => {
      await proxy.close();
      direct.disconnect();
      server.kill('SIGKILL');
      if (server.exitCode === null) await once(server, 'exit');
    },
  };
}

/**
 * A Redis Cluster of its own (three masters) with a proxy in front of each node: the nodes announce
 * the proxies' ports, so every connection ioredis opens, redirections included, goes through one.
 * `fill` sets maxmemory on every master (straight to the node, past its proxy).
 */
async function redisCluster(): Promise<BackendSetup> {
  const cluster = await startClusterWithRetries(3, { proxied: true });
  const direct = cluster.ports.map((port) => new Redis({ port, host: '127.0.0.1' }));
  for (const node of direct) node.on('error', () => {});
  return {
    name: 'redis-cluster',
    env: { SLUICE_BACKEND: `${cluster.url}&prefix=chaos` },
    proxies: { store: new ProxyGroup(cluster.proxies) },
    fill: async () => {
      const undo = await Promise.all(direct.map((node) => fillNode(node)));
      return async () => {
        for (const restore of undo) await restore();
      };
    },
    cleanup: async () => {
      for (const node of direct) node.disconnect();
      await cluster.stop();
    },
  };
}

/** RabbitMQ (its own queue prefix) over a PostgreSQL store, each behind its own proxy. */
async function rabbitmq(): Promise<BackendSetup> {
  const store = await pgStore();
  const target = new URL(AMQP_URL);
  const brokerProxy = await TcpProxy.start({ port: Number(target.port || 5672) });
  const prefix = `sluicechaos-${randomBytes(6).toString('hex')}`;
  const viaProxy = new URL(AMQP_URL);
  viaProxy.host = `127.0.0.1:${brokerProxy.port}`;
  viaProxy.searchParams.set('prefix', prefix);
  return {
    name: 'rabbitmq',
    env: { SLUICE_BACKEND: viaProxy.toString(), SLUICE_STORE: store.url },
    proxies: { store: store.proxy, broker: brokerProxy },
    ...(store.fill ? { fill: store.fill } : {}),
    cleanup: async () => {
      await brokerProxy.close();
      await store.drop();
      const connection = await amqpConnect(AMQP_URL);
      const channel = await connection.createChannel();
      for (const name of [`${prefix}.default`, ...DELAY_BUCKETS_MS.map((ms) => `${prefix}.default.wait.${ms}`)]) {
        await channel.deleteQueue(name);
      }
      await channel.deleteExchange(`${prefix}.dlx`);
      await connection.close();
    },
  };
}

/** Makes one Redis node refuse writes with OOM (maxmemory just above its use, ballast in the rest);
 * resolves to the undo. On a cluster node a ballast key of another node's slot is refused (MOVED):
 * enough keys are tried that this node gets its share. */
async function fillNode(node: Redis): Promise<() => Promise<void>> {
  const used = Number(/used_memory:(\d+)/.exec(await node.info('memory'))?.[1] ?? 0);
  await node.config('SET', 'maxmemory-policy', 'noeviction');
  await node.config('SET', 'maxmemory', String(used + 64 * 1024));
  // Fill the rest so that even a small write is refused.
  const ballast = Array.from({ length: 256 }, (_, i) => `ballast:${i}`);
  for (const key of ballast) await node.set(key, 'x'.repeat(4096)).catch(() => undefined);
  return async () => {
    await node.config('SET', 'maxmemory', '0');
    for (const key of ballast) await node.del(key).catch(() => undefined);
  };
}
