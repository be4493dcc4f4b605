import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBackend } from '../../src/backends/redis/redis-backend.js';
import type { ClaimedJob } from '../../src/core/job.js';
import { toNewJob } from '../../src/core/new-job.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { dropRedisPrefix } from '../helpers/redis-prefix.js';
import { redisStoreSkip } from '../helpers/store-rig.js';

// The Redis side of tenant-scoped claims (the conformance suite has the shared cases): the tenant
// ready sets stay in step with the queue's ready sets through every path that puts a job back.

const url = process.env.SLUICE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const skip = await redisStoreSkip();

const LEASE_MS = 10_000;
const QUEUE = 'tq';

interface Ctx {
  backend: RedisBackend;
  redis: Redis;
  clock: FakeClock;
  prefix: string;
  claim(tenant?: string, types?: string[]): Promise<ClaimedJob[]>;
  /** Every key of the queue's tenant ready sets. */
  tenantKeys(): Promise<string[]>;
}

async function withBackend(body: (ctx: Ctx) => Promise<void>): Promise<void> {
  const prefix = `sluicetest-${randomUUID()}`;
  const clock = new FakeClock();
  const backend = await RedisBackend.open({ url, clock, prefix, warn: () => undefined });
  const redis = new Redis(url);
  try {
    await body({
      backend,
      redis,
      clock,
      prefix,
      claim: (tenant, types) => backend.claim({ queues: [QUEUE], tenant, types, limit: 10, leaseMs: LEASE_MS, workerId: 'w' }),
      tenantKeys: () => redis.keys(`{${prefix}:${QUEUE}}:tr:*`),
    });
  } finally {
    await backend.close();
    await redis.quit();
    await dropRedisPrefix(url, prefix);
  }
}

/** The key of one tenant's ready set of one type (keys.ts): tenant byte length, tenant, type. */
function tenantReadyKey(prefix: string, tenant: string, type: string): string {
  return `{${prefix}:${QUEUE}}:tr:${Buffer.byteLength(tenant)}:${tenant}:${type}`;
}

function ids(jobs: ClaimedJob[]): string[] {
  return jobs.map((job) => job.id);
}

describe('redis tenant-scoped claims', { skip }, () => {
  test("a tenant's job never reaches another tenant's claim, whatever path puts it back", async () => {
    await withBackend(async ({ backend, clock, claim, tenantKeys }) => {
      const [a, b] = await backend.enqueue({
        jobs: [
          toNewJob({ type: 'noop', queue: QUEUE, maxAttempts: 3 }, { tenant: 'acme' }),
          toNewJob({ type: 'noop', queue: QUEUE, maxAttempts: 3 }, { tenant: 'bolt' }),
        ],
      });
      const acme = a!.job.id;
      const bolt = b!.job.id;
      const both = async (): Promise<[ClaimedJob, ClaimedJob]> => {
        const forBolt = await claim('bolt');
        const forAcme = await claim('acme');
        assert.deepEqual(ids(forBolt), [bolt]);
        assert.deepEqual(ids(forAcme), [acme]);
        return [forAcme[0]!, forBolt[0]!];
      };

      // Enqueued.
      let [ja, jb] = await both();
      // Released.
      await backend.release({ items: [ja, jb].map(({ id, leaseToken }) => ({ id, leaseToken })) });
      [ja, jb] = await both();
      // Retried at once, and retried after a delay (scheduled, then promoted by a claim).
      const error = { code: 'E', message: 'e' };
      await backend.fail({
        items: [
          { id: ja.id, leaseToken: ja.leaseToken, outcome: 'retry', delayMs: 0, error },
          { id: jb.id, leaseToken: jb.leaseToken, outcome: 'retry', delayMs: 500, error },
        ],
      });
      assert.deepEqual(await claim('bolt'), []);
      clock.advance(500);
      [ja, jb] = await both();
      // Reclaimed after the lease expired (attempt 2 of 3: the release above did not count one).
      clock.advance(LEASE_MS + 1);
      assert.deepEqual(await backend.reclaimExpired(), { requeued: 2, failed: 0 });
      [ja, jb] = await both();
      // Failed for good, then redriven.
      await backend.fail({ items: [ja, jb].map(({ id, leaseToken }) => ({ id, leaseToken, outcome: 'fail' as const, error })) });
      assert.equal(await backend.redrive({ queue: QUEUE }), 2);
      [ja, jb] = await both();

      await backend.complete({ items: [ja, jb].map(({ id, leaseToken }) => ({ id, leaseToken, output: null })) });
      assert.deepEqual(await tenantKeys(), [], 'no tenant ready set is left once nothing is ready');
    });
  });

  test('unscoped claims, claims by id and cancels empty the tenant ready sets too', async () => {
    await withBackend(async ({ backend, claim, tenantKeys }) => {
      const [a, b, c] = await backend.enqueue({
        jobs: [
          toNewJob({ type: 'noop', queue: QUEUE }, { tenant: 'acme' }),
          toNewJob({ type: 'math', queue: QUEUE }, { tenant: 'acme' }),
          toNewJob({ type: 'noop', queue: QUEUE }, { tenant: 'bolt' }),
        ],
      });
      assert.equal((await tenantKeys()).length, 3);
      assert.deepEqual(ids(await claim(undefined, ['noop'])).sort(), [a!.job.id, c!.job.id].sort());
      assert.equal((await tenantKeys()).length, 1);
      await backend.cancel({ id: b!.job.id });
      assert.deepEqual(await tenantKeys(), []);
      assert.deepEqual(await claim('acme'), []);

      const [d] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', queue: QUEUE }, { tenant: 'acme' })] });
      assert.deepEqual(ids(await backend.claimIds({ ids: [d!.job.id], leaseMs: LEASE_MS, workerId: 'w' })), [d!.job.id]);
      assert.deepEqual(await tenantKeys(), []);
      assert.deepEqual(await claim('acme'), []);
    });
  });

  test("a tenant and a type cannot spell another pair's ready set", async () => {
    await withBackend(async ({ backend, prefix, claim, tenantKeys }) => {
      const [job] = await backend.enqueue({ jobs: [toNewJob({ type: 'c', queue: QUEUE }, { tenant: 'a:b' })] });
      assert.deepEqual(await tenantKeys(), [tenantReadyKey(prefix, 'a:b', 'c')]);
      assert.deepEqual(await claim('a', ['b:c']), []);
      assert.deepEqual(ids(await claim('a:b', ['c'])), [job!.job.id]);
    });
  });

  test('a tenant ready-set entry whose job is not ready is dropped, never leased a second time', async () => {
    await withBackend(async ({ backend, redis, prefix, claim, tenantKeys }) => {
      const [a] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', queue: QUEUE }, { tenant: 'acme' })] });
      const [running] = await claim();
      assert.equal(running?.id, a!.job.id);
      // What a process of the version before tenant sets leaves behind: its claim kept the entry.
      await redis.zadd(tenantReadyKey(prefix, 'acme', 'noop'), 0, a!.job.id);
      const [next] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', queue: QUEUE }, { tenant: 'acme' })] });
      assert.deepEqual(ids(await claim('acme')), [next!.job.id], 'the stale entry comes first and is skipped');
      assert.deepEqual(await tenantKeys(), []);
      assert.deepEqual(
        await backend.heartbeat({ leases: [{ id: running.id, leaseToken: running.leaseToken }], leaseMs: LEASE_MS }),
        {
          lost: [],
        },
      );
    });
  });

  test('a job queued before tenant sets existed is claimed unscoped, and scoped once it is back in the ready set', async () => {
    await withBackend(async ({ backend, redis, prefix, claim }) => {
      const [a] = await backend.enqueue({ jobs: [toNewJob({ type: 'noop', queue: QUEUE }, { tenant: 'acme' })] });
      // The layout a job queued by the version before has: in its type's ready set only.
      await redis.del(tenantReadyKey(prefix, 'acme', 'noop'));
      assert.deepEqual(await claim('acme'), [], 'docs/redis.md: no migration of jobs queued before the upgrade');
      const [job] = await claim();
      assert.equal(job?.id, a!.job.id);
      await backend.release({ items: [{ id: job.id, leaseToken: job.leaseToken }] });
      assert.deepEqual(ids(await claim('acme')), [a!.job.id]);
    });
  });
});
