import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { connect as amqpConnect } from 'amqplib';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DELAY_BUCKETS_MS } from '../../src/backends/rabbitmq/topology.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { freePort } from './processes.js';

export const PG_URL = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const AMQP_URL = process.env.SLUICE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export type BackendName = 'sqlite' | 'postgres' | 'redis' | 'rabbitmq';

/** One backend made for one scenario: its env, the fault proxies in front of its services. */
export interface BackendSetup {
  name: BackendName;
  env: Record<string, string>;
  /** Proxies between every Sluice process and the services, by role (empty for SQLite). */
  proxies: Partial<Record<'store' | 'broker', TcpProxy>>;
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
    case 'rabbitmq':
      return rabbitmq();
  }
}

function sqlite(): BackendSetup {
  const temp = makeTempDir('sluice-chaos-');
  return {
    name: 'sqlite',
    env: { SLUICE_BACKEND: `sqlite:${join(temp.dir, 'chaos.db')}` },
    proxies: {},
    cleanup: async () => temp.cleanup(),
  };
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
    fill: async () => {
      const used = Number(/used_memory:(\d+)/.exec(await direct.info('memory'))?.[1] ?? 0);
      await direct.config('SET', 'maxmemory-policy', 'noeviction');
      await direct.config('SET', 'maxmemory', String(used + 64 * 1024));
      // Fill the rest so that even a small write is refused.
      for (let i = 0; i < 64; i++) await direct.set(`ballast:${i}`, 'x'.repeat(4096)).catch(() => undefined);
      return async () => {
        await direct.config('SET', 'maxmemory', '0');
        await direct.del(...Array.from({ length: 64 }, (_, i) => `ballast:${i}`));
      };
    },
    cleanup: async () => {
      await proxy.close();
      direct.disconnect();
      server.kill('SIGKILL');
      if (server.exitCode === null) await once(server, 'exit');
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
