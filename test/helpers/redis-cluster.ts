import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { TcpProxy } from './tcp-proxy.js';
import { makeTempDir } from './temp-dir.js';
import { until } from './until.js';

const run = promisify(execFile);

/** A Redis Cluster of a test's own: masters on 127.0.0.1, no replicas. */
export interface OwnCluster {
  /** The masters' own ports (straight to redis-server, past any proxy). */
  ports: number[];
  /** What Sluice connects to (`?cluster=1`): the first seed nodes, through the proxies if any. */
  url: string;
  /** slot -> own port of the master that serves it. */
  slotOwner: number[];
  /** With `proxied`: one proxy per master, in the order of `ports`; empty otherwise. */
  proxies: TcpProxy[];
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /**
   * Put a TcpProxy in front of each master, and have the master announce the proxy's port
   * (`cluster-announce-port`, as a node behind NAT does): every client connection, the ones that
   * follow MOVED and CLUSTER SLOTS included, then goes through a proxy. The cluster bus between the
   * masters stays direct, so a fault on the proxies cuts clients off without splitting the cluster.
   */
  proxied?: boolean;
}

/** Starts a cluster, trying again when a free port was taken between the check and the bind. */
export async function startClusterWithRetries(masters: number, options: ClusterOptions = {}): Promise<OwnCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startCluster(masters, options);
    } catch (error) {
      if (attempt >= 3 || (error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
    }
  }
}

/**
 * Starts `masters` cluster-enabled redis-servers of our own, joins them with `redis-cli --cluster
 * create`, and waits (bounded poll: no event exists for it) until every node reports
 * cluster_state:ok. Stops only the processes it started, by pid.
 */
export async function startCluster(masters: number, options: ClusterOptions = {}): Promise<OwnCluster> {
  const tmp = makeTempDir('sluice-redis-cluster-');
  const children: ChildProcess[] = [];
  const proxies: TcpProxy[] = [];
  const stop = async () => {
    for (const proxy of proxies) await proxy.close();
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
      const exited = once(child, 'exit');
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    tmp.cleanup();
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) ports.push(await freeClusterPort(ports));
    if (options.proxied) for (const port of ports) proxies.push(await TcpProxy.start({ port }));
    /** The port clients are told about: the proxy's when there is one. */
    const announced = (i: number) => proxies[i]?.port ?? ports[i]!;
    await Promise.all(
      ports.map(async (port, i) => {
        const announce = options.proxied
          ? ['--cluster-announce-port', String(announced(i)), '--cluster-announce-bus-port', String(port + 10_000)]
          : [];
        const child = spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `${tmp.dir}/nodes-${port}.conf`,
            '--dir',
            tmp.dir,
            '--save',
            '',
            '--appendonly',
            'no',
            '--maxmemory-policy',
            'noeviction',
            ...announce,
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        children.push(child);
        await readyOnStdout(child);
      }),
    );
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await until(
      async () => {
        const states = await Promise.all(ports.map((port) => clusterInfo(port)));
        return states.every((info) => /cluster_state:ok/.test(info));
      },
      'cluster_state:ok on every node',
      20_000,
    );
    const ownPort = new Map(ports.map((port, i) => [announced(i), port]));
    const slotOwner: number[] = new Array(16384);
    const probe = new Redis({ host: '127.0.0.1', port: ports[0]! });
    try {
      const ranges = (await probe.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, ...unknown[]]]>;
      for (const [from, to, [, port]] of ranges) {
        for (let s = from; s <= to; s++) slotOwner[s] = ownPort.get(Number(port)) ?? Number(port);
      }
      // The slot function below agrees with the server's.
      assert.equal(Number(await probe.call('CLUSTER', 'KEYSLOT', '{sluice:default}:meta')), slotOf('sluice:default'));
    } finally {
      await probe.quit();
    }
    // ioredis sees the same layout (the backend connects through it).
    const client = new Cluster([{ host: '127.0.0.1', port: announced(0) }]);
    try {
      await client.ping();
    } finally {
      await client.quit();
    }
    return {
      ports,
      url: `redis://${[0, 1]
        .filter((i) => i < ports.length)
        .map((i) => `127.0.0.1:${announced(i)}`)
        .join(',')}/?cluster=1`,
      slotOwner,
      proxies,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Redis Cluster's key slot of a hash tag's content: CRC16 (XMODEM) mod 16384. */
export function slotOf(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** The keys of one node matching `pattern` (a cluster SCAN covers one node). */
export async function scanNode(node: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys;
}

/** Deletes every key of a prefix: SCAN on every master, UNLINK by key (straight to each node). */
export async function dropClusterPrefix(c: OwnCluster, prefix: string): Promise<void> {
  for (const port of c.ports) {
    const node = new Redis({ host: '127.0.0.1', port });
    try {
      for (const key of await scanNode(node, `{${prefix}*`)) await node.unlink(key);
    } finally {
      await node.quit();
    }
  }
}

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.once('listening', () => resolve(true));
    server.listen(port, '127.0.0.1');
  });
  if (!listening) return false;
  server.close();
  await once(server, 'close');
  return true;
}

/** A free port whose cluster bus port (port + 10000) is free too. */
export async function freeClusterPort(taken: number[]): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (taken.includes(port)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
}

async function clusterInfo(port: number): Promise<string> {
  const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  node.on('error', () => undefined);
  try {
    await node.connect();
    return String(await node.call('CLUSTER', 'INFO'));
  } catch {
    return '';
  } finally {
    node.disconnect();
  }
}

/** Resolves when redis-server says it is ready (an event on its stdout, not a sleep). */
async function readyOnStdout(child: ChildProcess): Promise<void> {
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject); // e.g. ENOENT: redis-server is not installed
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
      if (/Ready to accept connections/.test(output)) resolve();
    });
    child.on('exit', () => reject(new Error(`redis-server exited early: ${output.slice(-500)}`)));
  });
  // Keep draining its output so a full pipe never blocks it.
  child.stdout?.resume();
  child.stderr?.resume();
}
