import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type BackendFactory, backendTest, claim, mustGet, newJob } from './harness.js';

/** Bulk enqueue: one atomic call, results in input order. */
export function bulkEnqueueSuite(factory: BackendFactory): void {
  describe('bulk enqueue', () => {
    const it = backendTest(factory);

    it('stores N jobs in input order, all created', async ({ backend }) => {
      const jobs = Array.from({ length: 50 }, (_, i) => newJob({ input: { i } }));
      const results = await backend.enqueue({ jobs });
      assert.equal(results.length, 50);
      assert.ok(results.every((r) => r.created));
      assert.deepEqual(
        results.map((r) => r.job.id),
        jobs.map((j) => j.id),
      );
      assert.deepEqual(
        results.map((r) => r.job.input),
        jobs.map((_, i) => ({ i })),
      );
      const claimed = await claim(backend, { limit: 100 });
      assert.deepEqual(
        claimed.map((j) => j.id),
        jobs.map((j) => j.id),
        'equal priority and runAt: claimed in enqueue order',
      );
    });

    it('inputs of every JSON shape and awkward characters come back exactly', async ({ backend }) => {
      const inputs: unknown[] = [
        'a "quoted", {braced} string\\with\\backslashes',
        { text: 'line\nbreak\ttab \u2028 é 漢字 🚀', nested: [{ q: '"' }, null, -0.5, 1e21] },
        ['}', '{', ',', 'NULL', ''],
        42,
        true,
        null,
        { '\\': '\\"', 'key with "quotes"': '\u0001\u001f' },
      ];
      const results = await backend.enqueue({ jobs: inputs.map((input) => newJob({ input })) });
      assert.deepEqual(
        results.map((r) => r.job.input),
        inputs,
      );
      const stored = await Promise.all(results.map((r) => mustGet(backend, r.job.id)));
      assert.deepEqual(
        stored.map((job) => job.input),
        inputs,
      );
    });

    it('a stored job keeps every field of the request', async ({ backend, clock }) => {
      const spec = newJob(
        {
          type: 'chat',
          queue: 'llm',
          input: { messages: [{ role: 'user', content: 'hi' }], n: 1.5, ok: true, none: null },
          priority: 7,
          maxAttempts: 5,
          backoff: { type: 'fixed', delayMs: 250, maxDelayMs: 1000, jitter: 'none' },
          timeoutMs: 12_000,
          idempotencyKey: 'req-1',
          metadata: { trace: 'abc', tags: ['x'] },
          delayMs: 0,
        },
        { tenant: 'acme' },
      );
      const [result] = await backend.enqueue({ jobs: [spec] });
      assert.ok(result);
      const expected = {
        id: spec.id,
        type: 'chat',
        queue: 'llm',
        status: 'queued',
        input: { messages: [{ role: 'user', content: 'hi' }], n: 1.5, ok: true, none: null },
        priority: 7,
        attempts: 0,
        maxAttempts: 5,
        backoff: { type: 'fixed', delayMs: 250, maxDelayMs: 1000, jitter: 'none' },
        timeoutMs: 12_000,
        idempotencyKey: 'req-1',
        metadata: { trace: 'abc', tags: ['x'] },
        tenant: 'acme',
        createdAt: clock.now(),
        runAt: clock.now(),
        updatedAt: clock.now(),
      };
      assert.deepEqual(result.job, expected);
      assert.deepEqual(await mustGet(backend, spec.id), expected);
    });

    it('optional fields are absent, not undefined, when not given', async ({ backend }) => {
      const [result] = await backend.enqueue({ jobs: [newJob()] });
      const job = await mustGet(backend, result!.job.id);
      for (const key of [
        'output',
        'error',
        'progress',
        'timeoutMs',
        'idempotencyKey',
        'metadata',
        'tenant',
        'startedAt',
        'finishedAt',
      ]) {
        assert.equal(key in job, false, `${key} should be absent`);
      }
      assert.equal(job.input, null, 'a job without input stores null');
    });

    it('mixes queues, delays and idempotency repeats in one batch', async ({ backend }) => {
      const first = newJob({ queue: 'a', idempotencyKey: 'dup' });
      const results = await backend.enqueue({
        jobs: [
          first,
          newJob({ queue: 'b', delayMs: 1000 }),
          newJob({ queue: 'a', idempotencyKey: 'dup' }),
          newJob({ queue: 'a' }),
        ],
      });
      assert.deepEqual(
        results.map((r) => [r.created, r.job.queue, r.job.status]),
        [
          [true, 'a', 'queued'],
          [true, 'b', 'scheduled'],
          [false, 'a', 'queued'],
          [true, 'a', 'queued'],
        ],
      );
      assert.equal(results[2]!.job.id, first.id);
      assert.equal((await backend.list({ limit: 10 })).jobs.length, 3);
    });

    it('an empty batch stores nothing', async ({ backend }) => {
      assert.deepEqual(await backend.enqueue({ jobs: [] }), []);
      assert.deepEqual((await backend.list({ limit: 10 })).jobs, []);
    });

    it('a large batch arrives whole', async ({ backend }) => {
      const jobs = Array.from({ length: 1000 }, (_, i) => newJob({ input: i, queue: i % 2 === 0 ? 'even' : 'odd' }));
      const results = await backend.enqueue({ jobs });
      assert.equal(results.filter((r) => r.created).length, 1000);
      const stats = await backend.stats();
      assert.equal(stats.find((s) => s.name === 'even')?.counts.queued, 500);
      assert.equal(stats.find((s) => s.name === 'odd')?.counts.queued, 500);
    });
  });
}
