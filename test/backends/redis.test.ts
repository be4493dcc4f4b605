import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { queueOfToken } from '../../src/backends/redis/lease-token.js';
import { openRedisBackend, RedisBackend } from '../../src/backends/redis/redis-backend.js';
import type { Backend } from '../../src/core/backend.js';
import { ErrorCodes } from '../../src/core/errors.js';
import { toNewJob } from '../../src/core/new-job.js';
import { applyRateBudget, type BucketRequest, type RateBudgetAction, type RateBudgetState } from '../../src/core/rate-budget.js';
import { Sluice } from '../../src/sluice.js';
import { runConformance } from '../conformance/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { dropRedisPrefix } from '../helpers/redis-prefix.js';
import { redisStoreSkip } from '../helpers/store-rig.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const url = process.env.SLUICE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const skip = await redisStoreSkip();

/** A fresh key prefix per test: its storage, removed by `dropPrefix`. */
function freshPrefix(): string {
  return `sluicetest-${randomUUID()}`;
}

async function allKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys.sort();
}

const quiet = () => undefined;

runConformance(
  'redis',
  async ({ clock }) => {
    const prefix = freshPrefix();
    const opened: Backend[] = [];
    // The machine's test server runs without persistence: the start-up warning has its own test below.
    const open = async (): Promise<Backend> => {
      const backend = await RedisBackend.open({ url, clock, prefix, warn: quiet });
      opened.push(backend);
      return backend;
    };
    const backend = await open();
    return {
      backend,
      openAnother: open,
      cleanup: async () => {
        for (const b of opened) await b.close();
        await dropRedisPrefix(url, prefix);
      },
    };
  },
  { skip },
);

describe('redis adapter', { skip }, () => {
  /** Runs `body` on a fresh prefix with a backend on the fake clock; closes and deletes everything. */
  async function withBackend(
    body: (ctx: { backend: RedisBackend; prefix: string; redis: Redis; clock: FakeClock }) => Promise<void>,
    options: { maxOutputBytes?: number } = {},
  ): Promise<void> {
    const prefix = freshPrefix();
    const clock = new FakeClock();
    const backend = await RedisBackend.open({ url, clock, prefix, warn: quiet, ...options });
    const redis = new Redis(url);
    try {
      await body({ backend, prefix, redis, clock });
    } finally {
      await backend.close();
      await redis.quit();
      await dropRedisPrefix(url, prefix);
    }
  }

  test('declares exactly its capabilities (a flipped flag is a red test)', async () => {
    await withBackend(async ({ backend }) => {
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
    });
  });

  test('every key of one queue carries the same hash tag', async () => {
    await withBackend(async ({ backend, prefix, redis, clock }) => {
      const [a, b] = await backend.enqueue({
        jobs: [
          toNewJob({ type: 'math', queue: 'llm', idempotencyKey: 'k' }),
          toNewJob({ type: 'noop', queue: 'llm', delayMs: 1000 }),
          toNewJob({ type: 'noop', queue: 'other' }),
        ],
      });
      assert.ok(a && b);
      const [claimed] = await backend.claim({ queues: ['llm'], limit: 1, leaseMs: 1000, workerId: 'w' });
      assert.ok(claimed);
      await backend.fail({
        items: [{ id: claimed.id, leaseToken: claimed.leaseToken, outcome: 'fail', error: { code: 'E', message: 'e' } }],
      });
      await backend.pauseQueue({ queue: 'llm', paused: true });
      clock.advance(2000);
      await backend.stats();

      const keys = await allKeys(redis, prefix);
      const tag = (key: string) => key.slice(0, key.indexOf('}') + 1);
      const llm = keys.filter((key) => key.startsWith(`{${prefix}:llm}`));
      assert.ok(llm.length >= 6, `expected the queue's state keys, got ${llm.join(', ')}`);
      assert.deepEqual(new Set(llm.map(tag)), new Set([`{${prefix}:llm}`]));
      // Cluster: one slot for the whole queue.
      const slots = await Promise.all(llm.map((key) => redis.call('CLUSTER', 'KEYSLOT', key).catch(() => null)));
      if (slots[0] !== null) assert.equal(new Set(slots).size, 1);
      // Everything else is one of the documented global keys.
      const globals = keys.filter((key) => !key.startsWith(`{${prefix}:llm}`) && !key.startsWith(`{${prefix}:other}`));
      for (const key of globals) assert.match(key, new RegExp(`^\\{${prefix}(\\}:queues|/ids/[0-9a-f]\\})$`));
    });
  });

  test('the enqueue script writes the global indexes of the jobs it creates, and none for an idempotent repeat', async () => {
    await withBackend(async ({ backend, prefix, redis }) => {
      const first = toNewJob({ type: 'noop', queue: 'a', idempotencyKey: 'k' });
      const jobs = [first, toNewJob({ type: 'noop', queue: 'a' }), toNewJob({ type: 'noop', queue: 'b' })];
      const results = await backend.enqueue({ jobs });
      assert.deepEqual(
        results.map((r) => r.created),
        [true, true, true],
      );
      const shardOf = (id: string) => `{${prefix}/ids/${id.slice(-1)}}`;
      for (const job of jobs) assert.equal(await redis.hget(shardOf(job.id), job.id), job.queue);
      assert.deepEqual((await redis.smembers(`{${prefix}}:queues`)).sort(), ['a', 'b']);

      // A repeat of the key, alone (one script call) and beside a new queue (a MULTI of two).
      const repeat = toNewJob({ type: 'noop', queue: 'a', idempotencyKey: 'k' });
      const [alone] = await backend.enqueue({ jobs: [repeat] });
      assert.equal(alone?.created, false);
      assert.equal(alone?.job.id, first.id);
      const repeatAgain = toNewJob({ type: 'noop', queue: 'a', idempotencyKey: 'k' });
      const fresh = toNewJob({ type: 'noop', queue: 'c' });
      const [again, created] = await backend.enqueue({ jobs: [repeatAgain, fresh] });
      assert.equal(again?.job.id, first.id);
      assert.equal(created?.created, true);
      assert.equal(await redis.hget(shardOf(repeat.id), repeat.id), null);
      assert.equal(await redis.hget(shardOf(repeatAgain.id), repeatAgain.id), null);
      assert.equal(await redis.hget(shardOf(fresh.id), fresh.id), 'c');
      assert.deepEqual((await redis.smembers(`{${prefix}}:queues`)).sort(), ['a', 'b', 'c']);
      assert.equal((await backend.get({ id: fresh.id }))?.queue, 'c');
    });
  });

  test('warns at start when appendonly is off, and says so when CONFIG cannot be read', async () => {
    const prefix = freshPrefix();
    const config = new Redis(url);
    try {
      const [, appendonly] = (await config.config('GET', 'appendonly')) as [string, string];
      const warnings: string[] = [];
      const backend = await RedisBackend.open({ url, prefix, warn: (m) => warnings.push(m) });
      await backend.close();
      if (appendonly === 'yes') {
        assert.ok(warnings.every((w) => !/appendonly/.test(w)));
      } else {
        assert.ok(
          warnings.some((w) => /appendonly no/.test(w)),
          `expected an appendonly warning, got ${JSON.stringify(warnings)}`,
        );
      }
    } finally {
      await config.quit();
    }
  });

  test('warns that it could not check when CONFIG is disabled', async () => {
    const server = await startRedis({ extraArgs: ['--rename-command', 'CONFIG', '""'] });
    try {
      const warnings: string[] = [];
      const backend = await RedisBackend.open({ url: server.url, warn: (m) => warnings.push(m) });
      await backend.close();
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /could not check/);
    } finally {
      await server.stop();
    }
  });

  test("one claim's lease tokens come from one token, numbered per job, each naming its queue", async () => {
    await withBackend(async ({ backend }) => {
      await backend.enqueue({ jobs: Array.from({ length: 5 }, () => toNewJob({ type: 'noop', queue: 'tok' })) });
      const first = await backend.claim({ queues: ['tok'], limit: 3, leaseMs: 10_000, workerId: 'w' });
      const second = await backend.claim({ queues: ['tok'], limit: 100, leaseMs: 10_000, workerId: 'w' });
      assert.equal(first.length, 3);
      assert.equal(second.length, 2);
      const tokens = [...first, ...second].map((job) => job.leaseToken);
      assert.equal(new Set(tokens).size, 5);
      for (const token of tokens) {
        assert.match(token, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.tok$/);
        assert.equal(queueOfToken(token), 'tok');
      }
      assert.deepEqual(
        first.map((job) => job.leaseToken.slice(32, 36)),
        ['0000', '0001', '0002'],
      );
      assert.notEqual(first[0]!.leaseToken.slice(0, 32), second[0]!.leaseToken.slice(0, 32), 'a fresh token per claim');
      // That each token fences its own job only is a conformance case ("claim order").
    });
  });

  test('an output over the size limit fails the job permanently with a clear error', async () => {
    await withBackend(
      async ({ backend }) => {
        await backend.enqueue({ jobs: [toNewJob({ type: 'noop' }), toNewJob({ type: 'noop' })] });
        const [big, small] = await backend.claim({ queues: ['default'], limit: 2, leaseMs: 10_000, workerId: 'w' });
        assert.ok(big && small);
        const outcomes = await backend.complete({
          items: [
            { id: big.id, leaseToken: big.leaseToken, output: { text: 'x'.repeat(2000) } },
            { id: small.id, leaseToken: small.leaseToken, output: { text: 'fits' } },
          ],
        });
        assert.deepEqual(
          outcomes.map((o) => [o.id, o.result, o.result === 'failed' ? o.error.code : undefined]),
          [
            [big.id, 'failed', ErrorCodes.payloadTooLarge],
            [small.id, 'ok', undefined],
          ],
        );
        const failed = await backend.get({ id: big.id });
        assert.equal(failed?.status, 'failed');
        assert.equal(failed?.output, undefined);
        assert.equal(failed?.error?.code, ErrorCodes.payloadTooLarge);
        assert.equal(failed?.error?.permanent, true);
        assert.match(failed?.error?.message ?? '', /1024/);
        assert.deepEqual((await backend.get({ id: small.id }))?.output, { text: 'fits' });
      },
      { maxOutputBytes: 1024 },
    );
  });

  test('the event log of a job whose output is too large ends with job.failed, not job.succeeded', async () => {
    await withBackend(
      async ({ backend }) => {
        const [job] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
        const [claimed] = await backend.claim({ queues: ['default'], limit: 1, leaseMs: 10_000, workerId: 'w' });
        assert.ok(job && claimed);
        await backend.complete({ items: [{ id: claimed.id, leaseToken: claimed.leaseToken, output: 'x'.repeat(100) }] });
        const events = await backend.jobEvents({ id: claimed.id });
        assert.ok(events);
        assert.deepEqual(
          events.map((e) => [e.type, e.attempt]),
          [
            ['job.created', undefined],
            ['job.started', 1],
            ['job.failed', 1],
          ],
        );
        assert.equal((events[2]!.data as { error: { code: string } }).error.code, ErrorCodes.payloadTooLarge);
      },
      { maxOutputBytes: 50 },
    );
  });

  test('jobEvents with limit 0 reads no event (LRANGE would read a negative stop from the end)', async () => {
    await withBackend(async ({ backend }) => {
      const [job] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', delayMs: 1000 })] });
      assert.deepEqual(await backend.jobEvents({ id: job!.job.id, limit: 0 }), []);
      assert.equal((await backend.jobEvents({ id: job!.job.id, limit: 1 }))?.length, 1);
    });
  });

  test("purge deletes the jobs' logs and trims the feed's head up to the oldest kept job's entry", async () => {
    await withBackend(async ({ backend, prefix, redis, clock }) => {
      const feedKey = `{${prefix}:q}:feed`;
      const [done, kept, cancelled] = await backend.enqueue({
        jobs: [
          toNewJob({ type: 'noop', queue: 'q' }),
          toNewJob({ type: 'noop', queue: 'q' }),
          toNewJob({ type: 'noop', queue: 'q' }),
        ],
      });
      assert.ok(done && kept && cancelled);
      const [claimed] = await backend.claim({ queues: ['q'], limit: 1, leaseMs: 10_000, workerId: 'w' });
      assert.equal(claimed?.id, done.job.id);
      await backend.complete({ items: [{ id: claimed.id, leaseToken: claimed.leaseToken, output: 1 }] });
      await backend.cancel({ id: cancelled.job.id });
      // done: created, started, succeeded; kept: created; cancelled: created, cancelled.
      assert.equal(await redis.xlen(feedKey), 6);
      clock.advance(10);
      assert.equal(await backend.purgeFinished({ finishedOlderThanMs: 1 }), 2);
      assert.equal(await redis.exists(`{${prefix}:q}:ev:${done.job.id}`, `{${prefix}:q}:ev:${cancelled.job.id}`), 0);
      // The head (done's created) went; kept's created stops the trim; later stale entries wait.
      assert.equal(await redis.xlen(feedKey), 5);
      const all = await backend.feed({ limit: 10 });
      assert.deepEqual(
        all.events.map((e) => [e.jobId, e.type]),
        [[kept.job.id, 'job.created']],
      );

      // Once no job is left the stream is emptied, and keeps its last id: a cursor handed out
      // before still reads exactly what comes after.
      await backend.cancel({ id: kept.job.id });
      const end = await backend.feed({ limit: 0 });
      clock.advance(10);
      assert.equal(await backend.purgeFinished({ finishedOlderThanMs: 1 }), 1);
      assert.equal(await redis.xlen(feedKey), 0);
      assert.equal(await redis.exists(feedKey), 1);
      const [next] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', queue: 'q' })] });
      assert.deepEqual(
        (await backend.feed({ after: end.cursor, limit: 10 })).events.map((e) => [e.jobId, e.type]),
        [[next!.job.id, 'job.created']],
      );
    });
  });

  test('another handle hears events:appended of the changes that publish anyway: settlements, progress, output', async () => {
    await withBackend(async ({ backend, prefix }) => {
      const listener = await RedisBackend.open({ url, prefix, warn: quiet });
      try {
        const heard: unknown[] = [];
        listener.events.on('events:appended', (payload) => heard.push(payload));
        await listener.events.relaying();
        const [job] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
        const [claimed] = await backend.claim({ queues: ['default'], limit: 1, leaseMs: 10_000, workerId: 'w' });
        assert.ok(job && claimed);
        const lease = { id: claimed.id, leaseToken: claimed.leaseToken };
        await backend.reportProgress({ ...lease, progress: 0.5 });
        await backend.appendOutput({ ...lease, chunks: ['a'] });
        await backend.complete({ items: [{ ...lease, output: 'a' }] });
        await until(async () => heard.length >= 3, 'three relayed appends');
        // Enqueue (seq 1) and claim (seq 2) publish no per-job entry: not relayed.
        assert.deepEqual(
          heard,
          [3, 4, 5].map((seq) => ({ id: claimed.id, queue: 'default', seq, remote: true })),
        );
      } finally {
        await listener.close();
      }
    });
  });

  test("a handle subscribes only once something takes other handles' changes; a started worker hears them at once", async () => {
    const prefix = freshPrefix();
    const producer = await RedisBackend.open({ url, prefix, warn: quiet });
    const consumer = await RedisBackend.open({ url, prefix, warn: quiet });
    const redis = new Redis(url);
    const subscribedChannels = async () => (await redis.pubsub('CHANNELS', `*${prefix}*`)) as string[];
    const worker = Sluice.fromBackend(consumer).worker({
      queues: ['default'],
      handlers: { noop: () => null },
      pollIntervalMs: 600_000, // only a relayed wake-up can start the second job in time
    });
    try {
      const [first] = await producer.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      assert.deepEqual(await subscribedChannels(), [], 'handles that only write receive nothing');
      consumer.events.on('job:finished', () => undefined, { local: true });
      assert.deepEqual(await subscribedChannels(), [], 'a local-only listener takes nothing relayed');

      await worker.start();
      assert.equal((await subscribedChannels()).length, 1, 'the worker subscribed before start() resolved');
      const waiter = Sluice.fromBackend(producer);
      assert.equal((await waiter.waitFor(first!.job.id, { timeoutMs: 10_000 })).status, 'succeeded');
      const [second] = await producer.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      assert.equal((await waiter.waitFor(second!.job.id, { timeoutMs: 10_000 })).status, 'succeeded');
    } finally {
      await worker.stop();
      await producer.close();
      await consumer.close();
      assert.deepEqual(await subscribedChannels(), [], 'close unsubscribes');
      await redis.quit();
      await dropRedisPrefix(url, prefix);
    }
  });

  test('a handle closed while its subscription starts ends up unsubscribed, and its start resolves', async () => {
    await withBackend(async ({ backend, prefix, redis }) => {
      const started = backend.events.relaying();
      await backend.close();
      await started; // resolves (never rejects) whether or not the subscribe went through
      await backend.events.relaying(); // a closed handle does not subscribe again
      assert.deepEqual(await redis.pubsub('CHANNELS', `*${prefix}*`), []);
    });
  });

  test('uses the Redis server clock when no clock is given', async () => {
    const prefix = freshPrefix();
    const backend = await RedisBackend.open({ url, prefix, warn: quiet });
    const redis = new Redis(url);
    try {
      const [seconds] = (await redis.time()) as [string | number, string | number];
      const [result] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop' })] });
      const createdAt = result!.job.createdAt;
      assert.ok(Math.abs(createdAt - Number(seconds) * 1000) < 5000, 'createdAt comes from Redis TIME');
      const [claimed] = await backend.claim({ queues: ['default'], limit: 1, leaseMs: 60_000, workerId: 'w' });
      assert.ok(claimed && claimed.leaseExpiresAt >= createdAt + 60_000);
    } finally {
      await backend.close();
      await redis.quit();
      await dropRedisPrefix(url, prefix);
    }
  });

  test('records: one hash per namespace, whose key expires with its latest record while every record expires', async () => {
    await withBackend(async ({ backend, prefix, redis, clock }) => {
      const key = `{${prefix}/rec/job-1}`;
      const ns = { namespace: 'job-1' };
      await backend.putRecord({ ...ns, key: 'a', value: { n: 1 }, ttlMs: 10_000 });
      await backend.putRecord({ ...ns, key: 'b', value: { n: 2 }, ttlMs: 600_000 });
      assert.deepEqual((await redis.hkeys(key)).sort(), ['a', 'b']);
      assert.equal(JSON.parse((await redis.hget(key, 'a'))!).e, clock.now() + 10_000);
      const latest = await redis.pttl(key);
      assert.ok(latest > 10_000 && latest <= 600_000, `the key lives until the latest record expires (pttl ${latest})`);

      await backend.putRecord({ ...ns, key: 'lasting', value: 'x' });
      assert.equal(await redis.pttl(key), -1, 'a record without TTL keeps the namespace for good');

      clock.advance(20_000);
      assert.equal(await backend.deleteRecord({ ...ns, key: 'lasting' }), true);
      assert.deepEqual(await redis.hkeys(key), ['b'], 'deleting the last lasting record frees the expired ones');
      assert.ok((await redis.pttl(key)) > 0, 'and the key expires again');

      await backend.putRecord({ ...ns, key: 'lasting', value: 'y' });
      await backend.putRecord({ ...ns, key: 'lasting', value: 'z', ttlMs: 1_000 });
      assert.ok((await redis.pttl(key)) > 0, 'a TTL given to the last lasting record lets the key expire');

      clock.advance(600_000);
      await backend.putRecord({ ...ns, key: 'c', value: 3 });
      assert.equal(await backend.deleteRecord({ ...ns, key: 'c' }), true);
      assert.equal(await redis.exists(key), 0, 'a namespace whose records have all expired is gone');
    });
  });

  test('records use the Redis server clock when no clock is given', async () => {
    const prefix = freshPrefix();
    const backend = await RedisBackend.open({ url, prefix, warn: quiet });
    const redis = new Redis(url);
    const serverNow = async () => {
      const [seconds, micros] = (await redis.time()) as [string | number, string | number];
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    try {
      const key = `{${prefix}/rec/n}`;
      const before = await serverNow();
      await backend.putRecord({ namespace: 'n', key: 'put', value: 1, ttlMs: 60_000 });
      const after = await serverNow();
      const e = JSON.parse((await redis.hget(key, 'put'))!).e as number;
      assert.ok(e >= before + 60_000 && e <= after + 60_000, 'the expiry is TIME + ttlMs');
      const now = await serverNow();
      await redis.hset(
        key,
        'past',
        JSON.stringify({ e: now - 1, v: 'gone' }),
        'future',
        JSON.stringify({ e: now + 600_000, v: 'here' }),
      );
      assert.equal(await backend.getRecord({ namespace: 'n', key: 'past' }), undefined);
      assert.equal(await backend.getRecord({ namespace: 'n', key: 'future' }), 'here');
      assert.deepEqual(
        (await backend.listRecords({ namespace: 'n' })).map((record) => record.key),
        ['future', 'put'],
      );
    } finally {
      await backend.close();
      await redis.quit();
      await dropRedisPrefix(url, prefix);
    }
  });

  test('the rate-budget script applies exactly the core policy (random actions, same results and state)', async () => {
    await withBackend(async ({ backend, prefix, redis, clock }) => {
      // A seeded generator: the same sequence on every run.
      let seed = 42;
      const random = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed / 2_147_483_648;
      };
      const bucket = (i: number): BucketRequest => ({
        key: `provider:p:${i === 0 ? 'rpm' : 'tpm'}`,
        cost: i === 0 ? 1 : Math.floor(random() * 700),
        ratePerMinute: i === 0 ? 60 : 6000,
        burst: i === 0 ? 10 : 1000,
      });
      let state: RateBudgetState | undefined;
      for (let step = 0; step < 300; step++) {
        clock.advance(Math.floor(random() * 700));
        const r = random();
        const action: RateBudgetAction =
          r < 0.5
            ? { kind: 'acquire', buckets: random() < 0.5 ? [bucket(0)] : [bucket(0), bucket(1)] }
            : r < 0.65
              ? { kind: 'adjust', bucket: bucket(1), delta: Math.floor(random() * 800) - 400 }
              : r < 0.75
                ? { kind: 'decrease', multiplier: 0.5, minFactor: 0.05, blockMs: Math.floor(random() * 3000) }
                : r < 0.95
                  ? { kind: 'increase', step: 0.05 }
                  : { kind: 'read' };
        const expected = applyRateBudget(state, action, clock.now());
        state = expected.state;
        assert.deepEqual(await backend.updateRateBudget({ scope: 'provider:p', action }), expected.result, `step ${step}`);
      }
      // The stored state is the policy's state, to the last bit.
      const stored = await redis.hgetall(`{${prefix}/rb/provider:p}`);
      assert.equal(Number(stored.f), state!.factor);
      assert.equal(Number(stored.b), state!.blockedUntil);
      for (const [key, value] of Object.entries(state!.buckets)) {
        assert.equal(Number(stored[`t:${key}`]), value.tokens, key);
        assert.equal(Number(stored[`u:${key}`]), value.updatedAt, key);
      }
    });
  });

  test('rate budgets use the Redis server clock when no clock is given', async () => {
    const prefix = freshPrefix();
    const backend = await RedisBackend.open({ url, prefix, warn: quiet });
    const redis = new Redis(url);
    try {
      const [seconds] = (await redis.time()) as [string | number, string | number];
      const result = await backend.updateRateBudget({
        scope: 'provider:x',
        action: { kind: 'decrease', multiplier: 0.5, minFactor: 0.1, blockMs: 60_000 },
      });
      assert.equal(result.factor, 0.5);
      assert.ok(Math.abs(result.blockedUntil - (Number(seconds) * 1000 + 60_000)) < 5000, 'blockedUntil comes from Redis TIME');
    } finally {
      await backend.close();
      await redis.quit();
      await dropRedisPrefix(url, prefix);
    }
  });

  test('claimIds leases jobs of several queues in one call, in claim order, and cleans the ready index', async () => {
    await withBackend(async ({ backend, prefix, redis, clock }) => {
      const [a, b, c] = await backend.enqueue({
        jobs: [
          toNewJob({ type: 'noop', queue: 'q1', priority: 1 }),
          toNewJob({ type: 'math', queue: 'q2', priority: 9 }),
          toNewJob({ type: 'noop', queue: 'q3', delayMs: 1000 }),
        ],
      });
      clock.advance(1000);
      const claimed = await backend.claimIds({ ids: [a!.job.id, b!.job.id, c!.job.id], leaseMs: 5000, workerId: 'w' });
      assert.deepEqual(
        claimed.map((j) => j.id),
        [b!.job.id, a!.job.id, c!.job.id],
      );
      assert.equal(new Set(claimed.map((j) => j.leaseToken)).size, 3);
      // Nothing is left to claim, and the settlement path (token -> queue) works on these leases.
      assert.deepEqual(await backend.claim({ queues: ['q1', 'q2', 'q3'], limit: 10, leaseMs: 5000, workerId: 'w' }), []);
      const keys = await allKeys(redis, prefix);
      assert.ok(!keys.some((key) => key.endsWith(':types') || key.includes(':r:') || key.endsWith(':sched')), keys.join(', '));
      const outcomes = await backend.complete({ items: claimed.map((j) => ({ id: j.id, leaseToken: j.leaseToken, output: 1 })) });
      assert.deepEqual(
        outcomes.map((o) => o.result),
        ['ok', 'ok', 'ok'],
      );
    });
  });

  test('the ?prefix= URL option names the keys and is not passed to ioredis', async () => {
    const prefix = freshPrefix();
    const backend = await openRedisBackend({ url: `${url}${url.includes('?') ? '&' : '?'}prefix=${prefix}`, warn: quiet });
    const redis = new Redis(url);
    try {
      await backend.enqueue({ jobs: [toNewJob({ type: 'noop', queue: 'p' })] });
      assert.ok((await allKeys(redis, prefix)).some((key) => key.startsWith(`{${prefix}:p}`)));
    } finally {
      await backend.close();
      await redis.quit();
      await dropRedisPrefix(url, prefix);
    }
  });

  test('a closed backend fails with SLUICE_BACKEND_UNAVAILABLE; an unreachable one too', async () => {
    const backend = await RedisBackend.open({ url, prefix: freshPrefix(), warn: quiet });
    await backend.close();
    await backend.close();
    await assert.rejects(backend.ping(), (e: unknown) => (e as { code?: string }).code === ErrorCodes.backendUnavailable);
    const port = await freePort();
    await assert.rejects(
      openRedisBackend({ url: `redis://127.0.0.1:${port}` }),
      (e: unknown) => (e as { code?: string }).code === ErrorCodes.backendUnavailable,
    );
  });

  test('a Redis restart (AOF, appendfsync always) loses no acknowledged job; the backend reconnects', {
    timeout: 60_000,
  }, async () => {
    const tmp = makeTempDir('sluice-redis-aof-');
    let server = await startRedis({ dir: tmp.dir, extraArgs: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const clock = new FakeClock();
    const warnings: string[] = [];
    const backend = await RedisBackend.open({ url: server.url, clock, warn: (m) => warnings.push(m) });
    try {
      assert.deepEqual(warnings, [], 'appendonly yes + noeviction raises no warning');
      const acknowledged: string[] = [];
      for (let i = 0; i < 20; i++) {
        const results = await backend.enqueue({
          jobs: Array.from({ length: 10 }, (_, j) => toNewJob({ type: 'noop', input: i * 10 + j, idempotencyKey: `k${i}-${j}` })),
        });
        acknowledged.push(...results.map((r) => r.job.id));
      }
      const inFlight = await backend.claim({ queues: ['default'], limit: 5, leaseMs: 10_000, workerId: 'w' });
      assert.equal(inFlight.length, 5);

      // Kill -9: only what appendfsync always already wrote survives.
      await server.kill('SIGKILL');
      server = await startRedis({
        dir: tmp.dir,
        port: server.port,
        extraArgs: ['--appendonly', 'yes', '--appendfsync', 'always'],
      });

      // The same handle reconnects on its own (ioredis retries), and the scripts reload on NOSCRIPT.
      await waitForReconnect(backend);
      const stats = await backend.stats({ queue: 'default' });
      assert.equal(stats[0]?.counts.queued, 195);
      assert.equal(stats[0]?.counts.running, 5);
      for (const id of acknowledged) assert.ok(await backend.get({ id }), `job ${id} survived the restart`);
      const [repeat] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', idempotencyKey: 'k0-0' })] });
      assert.equal(repeat?.created, false, 'idempotency keys survive the restart');

      // In-flight jobs come back by lease.
      clock.advance(10_000);
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 5, failed: 0 });
      const rest = await backend.claim({ queues: ['default'], limit: 500, leaseMs: 10_000, workerId: 'w2' });
      assert.equal(rest.length, 200);
      const outcomes = await backend.complete({
        items: rest.map((j) => ({ id: j.id, leaseToken: j.leaseToken, output: j.input })),
      });
      assert.ok(outcomes.every((o) => o.result === 'ok'));
      assert.equal((await backend.stats({ queue: 'default' }))[0]?.counts.succeeded, 200);
    } finally {
      await backend.close();
      await server.stop();
      tmp.cleanup();
    }
  });
});

/** Waits until the backend answers again (ioredis reconnects in the background; a call made while
 * it is down fails at once, so the checks are spaced to let the reconnect run). */
async function waitForReconnect(backend: Backend): Promise<void> {
  await until(
    () =>
      backend.ping().then(
        () => true,
        () => false,
      ),
    'the backend to answer after the restart',
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

interface OwnRedis {
  url: string;
  port: number;
  kill(signal: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a redis-server of our own on a free port (or the given one); stops only that process, by pid. */
async function startRedis(options: { dir?: string; port?: number; extraArgs?: string[] }): Promise<OwnRedis> {
  const port = options.port ?? (await freePort());
  const tmp = options.dir === undefined ? makeTempDir('sluice-redis-') : undefined;
  const dir = options.dir ?? tmp!.dir;
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const exited = once(child, 'exit');
  // Ready when it says so on stdout (the event, not a sleep).
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (/Ready to accept connections/.test(output)) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    exited.then(() => reject(new Error(`redis-server exited early: ${output}`)), reject);
  });
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.pid !== undefined) process.kill(child.pid, signal);
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    stop: async () => {
      await kill('SIGTERM');
      tmp?.cleanup();
    },
  };
}
