import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { openBackend } from '../../src/backends/open-backend.js';
import { parseRedisUrl } from '../../src/backends/redis/connection.js';
import { RedisBackend } from '../../src/backends/redis/redis-backend.js';
import type { Backend } from '../../src/core/backend.js';
import { ErrorCodes } from '../../src/core/errors.js';
import { toNewJob } from '../../src/core/new-job.js';
import { runConformance } from '../conformance/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { serviceSkipReason } from '../helpers/require-service.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

/**
 * The Redis backend on a Redis Cluster of its own: three masters (no replicas) started by this file
 * on free ports of 127.0.0.1, stopped by pid in `after`. Each test gets its own key prefix, chosen so
 * that the queue names the conformance suite uses together ('a'/'b'/'c', 'q1'/'q2', …) land on
 * different nodes: multi-queue claims, bulk enqueues and sweeps really cross nodes.
 */

const run = promisify(execFile);
const quiet = () => undefined;

interface OwnCluster {
  ports: number[];
  url: string;
  /** slot -> port of the master that serves it. */
  slotOwner: number[];
  stop(): Promise<void>;
}

let cluster: OwnCluster | undefined;
const skip = await serviceSkipReason(
  'Redis Cluster',
  'a cluster of its own on 127.0.0.1 (needs redis-server and redis-cli on PATH)',
  async () => {
    // A free port can be taken between the check and redis-server's bind: try a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        cluster = await startCluster(3);
        return;
      } catch (error) {
        if (attempt >= 3 || (error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
      }
    }
  },
);
after(async () => {
  await cluster?.stop();
});

describe('redis cluster URL', () => {
  test('?cluster=1 names the seed nodes; prefix and cluster are taken out', () => {
    const target = parseRedisUrl('redis://user:p%40ss@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002,h4/?cluster=1&prefix=prod');
    assert.equal(target.prefix, 'prod');
    assert.deepEqual(target.cluster, {
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
        { host: 'h4', port: 6379 },
      ],
      username: 'user',
      password: 'p@ss',
      tls: false,
    });
    assert.equal(parseRedisUrl('rediss://h:7000?cluster=true').cluster?.tls, true);
    assert.equal(parseRedisUrl('redis://h:6379/2?prefix=x&cluster=0').cluster, undefined);
    assert.equal(parseRedisUrl('redis://h:6379/2?prefix=x').url, 'redis://h:6379/2');
  });

  test('an unreachable cluster fails to open with SLUICE_BACKEND_UNAVAILABLE', async () => {
    const port = await freeClusterPort([]);
    await assert.rejects(
      RedisBackend.open({ url: `redis://127.0.0.1:${port}?cluster=1`, warn: quiet }),
      (e: unknown) => (e as { code?: string }).code === ErrorCodes.backendUnavailable,
    );
  });

  test('configuration mistakes are SLUICE_CONFIG errors', () => {
    const isConfig = (e: unknown) => (e as { code?: string }).code === ErrorCodes.config;
    assert.throws(() => parseRedisUrl('redis://h1:7000,h2:7001'), isConfig);
    assert.throws(() => parseRedisUrl('redis://h1:7000/3?cluster=1'), isConfig);
    assert.throws(() => parseRedisUrl('redis://h1:7000?cluster=maybe'), isConfig);
    assert.throws(() => parseRedisUrl('redis://h1:notaport,h2:7001?cluster=1'), isConfig);
  });
});

/** The queues the conformance tests use side by side: each group should span nodes. */
const SPREAD: string[][] = [
  ['a', 'b', 'c'],
  ['q1', 'q2', 'q3'],
  ['x', 'y'],
  ['even', 'odd'],
  ['default', 'a'],
  ['llm', 'other'],
  ['busy', 'idle'],
];

/** A fresh prefix whose queue slots put each SPREAD group on as many different nodes as it can. */
function spreadPrefix(c: OwnCluster): string {
  const nodes = c.ports.length;
  for (;;) {
    const prefix = `sluicetest-${randomUUID()}`;
    const spread = SPREAD.every((group) => {
      const owners = new Set(group.map((queue) => c.slotOwner[slotOf(`${prefix}:${queue}`)]));
      return owners.size === Math.min(group.length, nodes);
    });
    if (spread) return prefix;
  }
}

/** Deletes every key of a prefix: SCAN on every master (a cluster SCAN covers one node), UNLINK by key. */
async function dropPrefix(c: OwnCluster, prefix: string): Promise<void> {
  for (const port of c.ports) {
    const node = new Redis({ host: '127.0.0.1', port });
    try {
      for (const key of await scanNode(node, `{${prefix}*`)) await node.unlink(key);
    } finally {
      await node.quit();
    }
  }
}

async function scanNode(node: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys;
}

runConformance(
  'redis-cluster',
  async ({ clock }) => {
    const c = cluster!;
    const prefix = spreadPrefix(c);
    const opened: Backend[] = [];
    const open = async (): Promise<Backend> => {
      const backend = await RedisBackend.open({ url: c.url, clock, prefix, warn: quiet });
      opened.push(backend);
      return backend;
    };
    const backend = await open();
    return {
      backend,
      openAnother: open,
      cleanup: async () => {
        for (const b of opened) await b.close();
        await dropPrefix(c, prefix);
      },
    };
  },
  { skip },
);

describe('redis adapter on Redis Cluster', { skip }, () => {
  test('a cluster node reached without ?cluster=1 is refused at open with SLUICE_CONFIG naming the fix', async () => {
    const c = cluster!;
    await assert.rejects(
      RedisBackend.open({ url: `redis://127.0.0.1:${c.ports[0]}`, prefix: 'single', warn: quiet }),
      (e: unknown) => {
        assert.equal((e as { code?: string }).code, ErrorCodes.config);
        assert.match((e as Error).message, /\?cluster=1/);
        return true;
      },
    );
  });

  test('a bulk enqueue over queues on three nodes: each queue in one slot, every node used', async () => {
    const c = cluster!;
    const prefix = spreadPrefix(c);
    const backend = await RedisBackend.open({ url: c.url, clock: new FakeClock(), prefix, warn: quiet });
    try {
      const results = await backend.enqueue({
        jobs: ['a', 'b', 'c'].flatMap((queue) =>
          [0, 1, 2].map((i) => toNewJob({ type: 'noop', queue, priority: i, idempotencyKey: `${queue}${i}` })),
        ),
      });
      assert.ok(results.every((r) => r.created));
      const byNode = new Map<number, string[]>();
      for (const port of c.ports) {
        const node = new Redis({ host: '127.0.0.1', port });
        try {
          byNode.set(port, await scanNode(node, `{${prefix}*`));
        } finally {
          await node.quit();
        }
      }
      for (const queue of ['a', 'b', 'c']) {
        const tag = `{${prefix}:${queue}}`;
        const holders = [...byNode].filter(([, keys]) => keys.some((key) => key.startsWith(tag))).map(([port]) => port);
        assert.deepEqual(holders, [c.slotOwner[slotOf(`${prefix}:${queue}`)]], `queue ${queue} lives on one node`);
      }
      assert.ok(
        [...byNode.values()].every((keys) => keys.length > 0),
        'every master holds some of the keys',
      );

      // One claim over the three nodes merges them in priority order.
      const claimed = await backend.claim({ queues: ['a', 'b', 'c'], limit: 4, leaseMs: 10_000, workerId: 'w' });
      assert.deepEqual(
        claimed.map((j) => j.priority),
        [2, 2, 2, 1],
      );
      // A repeat of the whole batch stores nothing: idempotency per queue, on every node.
      const again = await backend.enqueue({
        jobs: ['a', 'b', 'c'].map((queue) => toNewJob({ type: 'noop', queue, idempotencyKey: `${queue}0` })),
      });
      assert.ok(again.every((r) => !r.created));
      for (const job of claimed) assert.equal((await backend.get({ id: job.id }))?.status, 'running');
    } finally {
      await backend.close();
      await dropPrefix(c, prefix);
    }
  });

  test('pub/sub reaches a handle whose subscriber sits on another node', async () => {
    const c = cluster!;
    const prefix = spreadPrefix(c);
    const handles = await Promise.all(
      c.ports.map(() => RedisBackend.open({ url: c.url, clock: new FakeClock(), prefix, warn: quiet })),
    );
    try {
      const [writer, ...readers] = handles as [RedisBackend, ...RedisBackend[]];
      for (const queue of ['a', 'b', 'c']) {
        const woken = readers.map(
          (reader) =>
            new Promise<unknown>((resolve) => {
              const on = (payload: { queue: string }) => {
                if (payload.queue !== queue) return;
                reader.events.off('jobs:enqueued', on);
                resolve(payload);
              };
              reader.events.on('jobs:enqueued', on);
            }),
        );
        await Promise.all(readers.map((reader) => reader.events.relaying()));
        await writer.enqueue({ jobs: [toNewJob({ type: 'noop', queue })] });
        for (const payload of await Promise.all(woken)) assert.deepEqual(payload, { queue, count: 1, remote: true });
      }
    } finally {
      for (const handle of handles) await handle.close();
      await dropPrefix(c, prefix);
    }
  });

  test('declares exactly its capabilities on a cluster (a flipped flag is a red test)', async () => {
    const c = cluster!;
    const prefix = spreadPrefix(c);
    const backend = await RedisBackend.open({ url: c.url, prefix, warn: quiet });
    try {
      assert.deepEqual(backend.capabilities, {
        crossProcessEvents: true,
        multiMachine: true,
        claimById: true,
        rateBudgets: true,
        usage: true,
        outputText: true,
      });
    } finally {
      await backend.close();
      await dropPrefix(c, prefix);
    }
  });

  test('the persistence check runs on every master', async () => {
    const c = cluster!;
    const warnings: string[] = [];
    const backend = await RedisBackend.open({ url: c.url, prefix: spreadPrefix(c), warn: (m) => warnings.push(m) });
    await backend.close();
    for (const port of c.ports) {
      assert.ok(
        warnings.some((w) => w.startsWith(`127.0.0.1:${port}: `) && /appendonly no/.test(w)),
        `expected an appendonly warning for ${port}, got ${JSON.stringify(warnings)}`,
      );
    }
  });

  test('SLUICE_BACKEND=redis://…?cluster=1 opens it through openBackend', async () => {
    const c = cluster!;
    const prefix = spreadPrefix(c);
    const backend = await openBackend(`${c.url}&prefix=${prefix}`);
    try {
      const [result] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', queue: 'q2' })] });
      assert.equal((await backend.get({ id: result!.job.id }))?.queue, 'q2');
      assert.deepEqual(
        (await backend.stats()).map((s) => [s.name, s.counts.queued]),
        [['q2', 1]],
      );
    } finally {
      await backend.close();
      await dropPrefix(c, prefix);
    }
  });
});

/** Redis Cluster's key slot of a hash tag's content: CRC16 (XMODEM) mod 16384. */
function slotOf(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
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
async function freeClusterPort(taken: number[]): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (taken.includes(port)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
}

/**
 * Starts `masters` cluster-enabled redis-servers of our own, joins them with `redis-cli --cluster
 * create`, and waits (bounded poll: no event exists for it) until every node reports
 * cluster_state:ok. Stops only the processes it started, by pid.
 */
async function startCluster(masters: number): Promise<OwnCluster> {
  const tmp = makeTempDir('sluice-redis-cluster-');
  const children: ChildProcess[] = [];
  const stop = async () => {
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
    await Promise.all(
      ports.map(async (port) => {
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
    const slotOwner: number[] = new Array(16384);
    const probe = new Redis({ host: '127.0.0.1', port: ports[0]! });
    try {
      const ranges = (await probe.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, ...unknown[]]]>;
      for (const [from, to, [, port]] of ranges) for (let s = from; s <= to; s++) slotOwner[s] = Number(port);
      // The slot function above agrees with the server's.
      assert.equal(Number(await probe.call('CLUSTER', 'KEYSLOT', '{sluice:default}:meta')), slotOf('sluice:default'));
    } finally {
      await probe.quit();
    }
    // ioredis sees the same layout (the backend connects through it).
    const client = new Cluster([{ host: '127.0.0.1', port: ports[0]! }]);
    try {
      await client.ping();
    } finally {
      await client.quit();
    }
    return {
      ports,
      url: `redis://${ports
        .slice(0, 2)
        .map((p) => `127.0.0.1:${p}`)
        .join(',')}/?cluster=1`,
      slotOwner,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
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
