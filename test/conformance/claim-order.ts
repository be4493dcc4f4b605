import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Backend, ClaimParams } from '../../src/core/backend.js';
import type { Job } from '../../src/core/job.js';
import { type BackendFactory, backendTest, type Ctx, claim, enqueue, enqueueOne, LEASE_MS, mustGet } from './harness.js';

/** Exact claim order: priority DESC, runAt ASC, id ASC. */
function claimOrder(a: Job, b: Job): number {
  return b.priority - a.priority || a.runAt - b.runAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** False for a broker transport: only the weaker guarantee of `drainWeak` holds. */
function strict(backend: Backend): boolean {
  return backend.capabilities.strictOrder !== false;
}

/**
 * The guarantee of a backend with `capabilities.strictOrder: false` (docs/rabbitmq.md), asserted
 * whatever its prefetch: claims made with `params` until every job of `expected` came out hand out
 * each exactly once and nothing else; each claim's batch is in exact claim order; and within one
 * queue, jobs come out in non-increasing priority bucket (the factory's `priorityBucket`).
 */
async function drainWeak({ backend, priorityBucket }: Ctx, params: Partial<ClaimParams>, expected: Job[]): Promise<void> {
  const wanted = new Set(expected.map((job) => job.id));
  const seen: Job[] = [];
  for (let empty = 0, calls = 0; seen.length < wanted.size && empty < 3 && calls < expected.length + 10; calls++) {
    const batch = await claim(backend, params);
    empty = batch.length === 0 ? empty + 1 : 0;
    assert.deepEqual(
      batch.map((job) => job.id),
      [...batch].sort(claimOrder).map((job) => job.id),
      'one claim hands its jobs out in exact claim order',
    );
    seen.push(...batch);
  }
  assert.deepEqual(new Set(seen.map((job) => job.id)), wanted, 'every job is handed out');
  assert.equal(seen.length, wanted.size, 'each job once');
  const lastBucket = new Map<string, number>();
  for (const job of seen) {
    const bucket = priorityBucket(job.priority);
    const before = lastBucket.get(job.queue);
    assert.ok(before === undefined || bucket <= before, `priority ${job.priority} came out after a lower priority bucket`);
    lastBucket.set(job.queue, bucket);
  }
}

/** Claim order, batching and filters. */
export function claimOrderSuite(factory: BackendFactory): void {
  describe('claim order', () => {
    const it = backendTest(factory);

    it('claims higher priority first, then the oldest runAt, then the oldest job', async (ctx) => {
      const { backend, clock } = ctx;
      const now = clock.now();
      const [low, high1, older, high2] = await enqueue(
        backend,
        { input: 'low', priority: 0 },
        { input: 'high1', priority: 5 },
        { input: 'older', priority: 0, runAt: now - 10_000 },
        { input: 'high2', priority: 5 },
      );
      if (!strict(backend)) return drainWeak(ctx, { limit: 10 }, [high1!, high2!, older!, low!]);
      const claimed = await claim(backend, { limit: 10 });
      assert.deepEqual(
        claimed.map((j) => j.id),
        [high1!.id, high2!.id, older!.id, low!.id],
      );
    });

    it('claims of every size, typed or not, follow the same order', async (ctx) => {
      const { backend } = ctx;
      const jobs = await enqueue(
        backend,
        ...Array.from({ length: 30 }, (_, i) => ({ type: i % 2 === 0 ? 'even' : 'odd', input: { i }, priority: i % 3 })),
      );
      if (!strict(backend)) return drainWeak(ctx, { types: ['even', 'odd'], limit: 3 }, jobs);
      const expected = [...jobs].sort(claimOrder).map((j) => j.id);
      const claimed: string[] = [];
      // Limits 1, 2, 3, …, each asked twice (without and with a type filter).
      for (let limit = 1; claimed.length < expected.length && limit <= expected.length; limit++) {
        for (const types of [undefined, ['even', 'odd']]) {
          const batch = await claim(backend, { types, limit });
          assert.ok(batch.length <= limit);
          claimed.push(...batch.map((j) => j.id));
        }
      }
      assert.deepEqual(claimed, expected);
    });

    it('one-at-a-time claims follow the same order', async (ctx) => {
      const { backend } = ctx;
      const jobs = await enqueue(backend, { priority: -3 }, { priority: 7 }, { priority: 0 }, { priority: 7 }, { priority: 1 });
      if (!strict(backend)) {
        await drainWeak(ctx, { limit: 1 }, jobs);
        assert.deepEqual(await claim(backend), []);
        return;
      }
      const expected = [jobs[1], jobs[3], jobs[4], jobs[2], jobs[0]].map((j) => j!.id);
      const order: string[] = [];
      for (let i = 0; i < jobs.length; i++) {
        const [job] = await claim(backend, { limit: 1 });
        assert.ok(job);
        order.push(job.id);
      }
      assert.deepEqual(order, expected);
      assert.deepEqual(await claim(backend), []);
    });

    it('within one priority the oldest runAt wins even when its job is newer', async (ctx) => {
      const { backend, clock } = ctx;
      const now = clock.now();
      const [recent, current, oldest] = await enqueue(
        backend,
        { input: 'recent', runAt: now - 1000 },
        { input: 'now' },
        { input: 'oldest', runAt: now - 5000 },
      );
      if (!strict(backend)) {
        await drainWeak(ctx, { limit: 1 }, [oldest!, recent!, current!]);
        const [x, y] = await enqueue(backend, { queue: 'x', runAt: now - 10 }, { queue: 'y', runAt: now - 20 });
        return drainWeak(ctx, { queues: ['x', 'y'], limit: 1 }, [y!, x!]);
      }
      assert.equal((await claim(backend, { limit: 1 }))[0]?.id, oldest!.id);
      assert.equal((await claim(backend, { limit: 1 }))[0]?.id, recent!.id);
      const [a, b] = await enqueue(backend, { queue: 'x', runAt: now - 10 }, { queue: 'y', runAt: now - 20 });
      assert.equal((await claim(backend, { queues: ['x', 'y'], limit: 1 }))[0]?.id, b!.id);
      assert.equal((await claim(backend, { queues: ['x', 'y'], limit: 1 }))[0]?.id, a!.id);
    });

    it('a claim starts an attempt under a fresh lease', async ({ backend, clock }) => {
      const job = await enqueueOne(backend, { type: 'math', input: { question: '1+1' } });
      clock.advance(1000);
      const [claimed] = await claim(backend, { workerId: 'worker-7', leaseMs: 5000 });
      assert.ok(claimed);
      assert.equal(claimed.id, job.id);
      assert.equal(claimed.status, 'running');
      assert.equal(claimed.attempts, 1);
      assert.equal(claimed.workerId, 'worker-7');
      assert.equal(claimed.leaseExpiresAt, clock.now() + 5000);
      assert.equal(claimed.startedAt, clock.now());
      assert.equal(typeof claimed.leaseToken, 'string');
      assert.ok(claimed.leaseToken.length >= 16, 'lease tokens are unguessable');
      assert.deepEqual(claimed.input, { question: '1+1' });
      const stored = await mustGet(backend, job.id);
      assert.equal(stored.status, 'running');
      assert.equal(stored.attempts, 1);
      assert.equal(stored.startedAt, clock.now());
    });

    it('every claimed job gets its own lease token, which fences that job only', async ({ backend }) => {
      await enqueue(backend, {}, {}, {}, {});
      const claimed = await claim(backend, { limit: 4 });
      assert.equal(claimed.length, 4);
      assert.equal(new Set(claimed.map((j) => j.leaseToken)).size, 4);
      // A sibling's token from the same claim does not settle a job.
      const [a, b] = claimed;
      const outcomes = await backend.complete({
        items: [
          { id: a!.id, leaseToken: b!.leaseToken, output: null },
          { id: b!.id, leaseToken: b!.leaseToken, output: null },
        ],
      });
      assert.deepEqual(
        outcomes.map((o) => o.result),
        ['lease_lost', 'ok'],
      );
    });

    it('limit caps a batch and a claimed job is not claimed again', async ({ backend }) => {
      await enqueue(backend, {}, {}, {}, {}, {});
      const first = await claim(backend, { limit: 3 });
      const second = await claim(backend, { limit: 3 });
      const third = await claim(backend, { limit: 3 });
      assert.equal(first.length, 3);
      assert.equal(second.length, 2);
      assert.equal(third.length, 0);
      const ids = [...first, ...second].map((j) => j.id);
      assert.equal(new Set(ids).size, 5);
    });

    it('claims only from the given queues', async ({ backend }) => {
      const [a, , c] = await enqueue(backend, { queue: 'a' }, { queue: 'b' }, { queue: 'c' });
      const claimed = await claim(backend, { queues: ['a', 'c'] });
      assert.deepEqual(claimed.map((j) => j.id).sort(), [a!.id, c!.id].sort());
      assert.deepEqual(await claim(backend, { queues: ['nothing-here'] }), []);
    });

    it('claims across several queues in one priority order', async (ctx) => {
      const { backend } = ctx;
      const [a0, b9, a5, b1] = await enqueue(
        backend,
        { queue: 'a', priority: 0 },
        { queue: 'b', priority: 9 },
        { queue: 'a', priority: 5 },
        { queue: 'b', priority: 1 },
      );
      if (!strict(backend)) return drainWeak(ctx, { queues: ['a', 'b'], limit: 3 }, [b9!, a5!, b1!, a0!]);
      const first = await claim(backend, { queues: ['a', 'b'], limit: 3 });
      assert.deepEqual(
        first.map((j) => j.id),
        [b9!.id, a5!.id, b1!.id],
      );
      const rest = await claim(backend, { queues: ['a', 'b'], limit: 3 });
      assert.deepEqual(
        rest.map((j) => j.id),
        [a0!.id],
      );
    });

    it('claims only the given job types', async ({ backend }) => {
      const [math, , embed] = await enqueue(backend, { type: 'math' }, { type: 'chat' }, { type: 'embed' });
      const claimed = await claim(backend, { types: ['math', 'embed'] });
      assert.deepEqual(claimed.map((j) => j.id).sort(), [math!.id, embed!.id].sort());
      assert.deepEqual(await claim(backend, { types: ['math'] }), []);
      assert.equal((await claim(backend)).length, 1, 'no type filter takes any type');
    });

    it('a type filter keeps the priority order', async (ctx) => {
      const { backend } = ctx;
      const [, low, , high] = await enqueue(
        backend,
        { type: 'chat', priority: 100 },
        { type: 'math', priority: 1 },
        { type: 'chat', priority: 50 },
        { type: 'math', priority: 2 },
      );
      if (!strict(backend)) return drainWeak(ctx, { types: ['math'], queues: ['default', 'other'] }, [high!, low!]);
      const claimed = await claim(backend, { types: ['math'], queues: ['default', 'other'] });
      assert.deepEqual(
        claimed.map((j) => j.id),
        [high!.id, low!.id],
      );
    });

    it('an empty store, an empty queue list or a zero limit claims nothing', async ({ backend }) => {
      assert.deepEqual(await claim(backend), []);
      await enqueueOne(backend);
      assert.deepEqual(await claim(backend, { queues: [] }), []);
      assert.deepEqual(await claim(backend, { limit: 0 }), []);
      assert.equal((await claim(backend, { leaseMs: LEASE_MS })).length, 1);
    });
  });
}
