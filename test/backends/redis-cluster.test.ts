import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { openBackend } from '../../src/backends/open-backend.js';
import { parseRedisUrl } from '../../src/backends/redis/connection.js';
import { RedisBackend } from '../../src/backends/redis/redis-backend.js';
import type { Backend } from '../../src/core/backend.js';
import { ErrorCodes } from '../../src/core/errors.js';
import { toNewJob } from '../../src/core/new-job.js';
import { runConformance } from '../conformance/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import {
  dropClusterPrefix,
  freeClusterPort,
  type OwnCluster,
  scanNode,
  slotOf,
  startClusterWithRetries,
} from '../helpers/redis-cluster.js';
import { serviceSkipReason } from '../helpers/require-service.js';

/**
 * The Redis backend on a Redis Cluster of its own: three masters (no replicas) started by this file
 * on free ports of 127.0.0.1, stopped by pid in `after`. Each test gets its own key prefix, chosen so
 * that the queue names the conformance suite uses together ('a'/'b'/'c', 'q1'/'q2', …) land on
 * different nodes: multi-queue claims, bulk enqueues and sweeps really cross nodes.
 */

const quiet = () => undefined;

let cluster: OwnCluster | undefined;
const skip = await serviceSkipReason(
  'Redis Cluster',
  'a cluster of its own on 127.0.0.1 (needs redis-server and redis-cli on PATH)',
  async () => {
    cluster = await startClusterWithRetries(3);
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
  // The event log's feed cases.
  ['qa', 'qb'],
  ['default', 'other'],
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
        await dropClusterPrefix(c, prefix);
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
      await dropClusterPrefix(c, prefix);
    }
  });

  test("one feed read spans the queues' streams on three masters and resumes by cursor", async () => {
    const c = cluster!;
    const prefix = spreadPrefix(c);
    const backend = await RedisBackend.open({ url: c.url, clock: new FakeClock(), prefix, warn: quiet });
    const other = await RedisBackend.open({ url: c.url, clock: new FakeClock(), prefix, warn: quiet });
    try {
      const queues = ['a', 'b', 'c'];
      assert.equal(new Set(queues.map((queue) => c.slotOwner[slotOf(`${prefix}:${queue}`)])).size, 3);
      const head = await backend.feed({ limit: 0 });
      const jobs = [...queues, ...queues].map((queue) => toNewJob({ type: 'noop', queue }));
      await backend.enqueue({ jobs });
      // Each queue's feed stream is on its queue's master.
      for (const queue of queues) {
        const port = c.slotOwner[slotOf(`${prefix}:${queue}`)]!;
        const node = new Redis({ host: '127.0.0.1', port });
        try {
          assert.equal(await node.xlen(`{${prefix}:${queue}}:feed`), 2, `queue ${queue}'s feed lives on its master`);
        } finally {
          await node.quit();
        }
      }

      const first = await backend.feed({ after: head.cursor, limit: 4 });
      assert.deepEqual(
        first.events.map((e) => [e.jobId, e.type]),
        jobs.slice(0, 4).map((job) => [job.id, 'job.created']),
        'one read merges the three streams in the order of the batch',
      );
      const [claimed] = await other.claim({ queues: ['b'], limit: 1, leaseMs: 60_000, workerId: 'w' });
      assert.ok(claimed);
      // Another handle resumes the cursor: the rest of the batch, then the claim made meanwhile.
      const rest = await other.feed({ after: first.cursor, limit: 10 });
      assert.deepEqual(
        rest.events.map((e) => [e.jobId, e.type]),
        [
          [jobs[4]!.id, 'job.created'],
          [jobs[5]!.id, 'job.created'],
          [claimed.id, 'job.started'],
        ],
      );
      // Each event's own cursor resumes right after it, over every master.
      const resumed = await backend.feed({ after: first.events[1]!.cursor, limit: 10 });
      assert.deepEqual(
        resumed.events.map((e) => e.cursor),
        [...first.events.slice(2), ...rest.events].map((e) => e.cursor),
      );
      assert.deepEqual((await backend.feed({ after: rest.cursor, limit: 10 })).events, []);
      // One queue's feed reads that queue's stream only.
      const onlyC = await backend.feed({ after: head.cursor, queue: 'c', limit: 10 });
      assert.deepEqual(
        onlyC.events.map((e) => e.jobId),
        [jobs[2]!.id, jobs[5]!.id],
      );
    } finally {
      await other.close();
      await backend.close();
      await dropClusterPrefix(c, prefix);
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
      await dropClusterPrefix(c, prefix);
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
        tenantClaims: true,
        rateBudgets: true,
        usage: true,
        outputText: true,
        eventLog: true,
        records: true,
      });
    } finally {
      await backend.close();
      await dropClusterPrefix(c, prefix);
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
      await dropClusterPrefix(c, prefix);
    }
  });
});
