import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Backend } from '../../src/core/backend.js';
import type { JobSpec } from '../../src/core/job-spec.js';
import type { NewJobOptions } from '../../src/core/new-job.js';
import { type BackendFactory, backendTest, claim, claimOne, enqueueOne, leaseOf, mustGet } from './harness.js';

const POISON = { code: 'SLUICE_HANDLER_FAILED', message: 'cannot parse' };

/** Enqueues a job and drives it into the dead-letter queue (`failed`). */
async function deadJob(backend: Backend, spec: Partial<JobSpec> = {}, options: NewJobOptions = {}) {
  const job = await enqueueOne(backend, spec, options);
  const claimed = await claimOne(backend, { queues: [job.queue], types: [job.type] });
  assert.equal(claimed.id, job.id);
  await backend.fail({ items: [{ ...leaseOf(claimed), outcome: 'fail', error: POISON }] });
  return job;
}

/** Invariant 4: poison jobs end in `failed`; redrive puts them back. */
export function deadLetterAndRedriveSuite(factory: BackendFactory): void {
  describe('dead letter and redrive', () => {
    const it = backendTest(factory);

    it('a poison job ends in failed after its attempts and does not block the queue', async ({ backend }) => {
      const poison = await enqueueOne(backend, { maxAttempts: 2, priority: 10 });
      const healthy = await enqueueOne(backend);
      for (let attempt = 1; attempt <= 2; attempt++) {
        const claimed = await claimOne(backend);
        assert.equal(claimed.id, poison.id);
        const last = claimed.attempts >= claimed.maxAttempts;
        await backend.fail({
          items: [
            last
              ? { ...leaseOf(claimed), outcome: 'fail', error: POISON }
              : { ...leaseOf(claimed), outcome: 'retry', delayMs: 0, error: POISON },
          ],
        });
      }
      assert.equal((await mustGet(backend, poison.id)).status, 'failed');
      assert.equal((await claimOne(backend)).id, healthy.id);
      const { jobs } = await backend.list({ status: 'failed', limit: 10 });
      assert.deepEqual(
        jobs.map((j) => j.id),
        [poison.id],
      );
    });

    it('redrive puts failed jobs back with a fresh set of attempts', async ({ backend, clock }) => {
      const job = await deadJob(backend, { maxAttempts: 1 });
      clock.advance(5000);
      assert.equal(await backend.redrive({}), 1);
      const back = await mustGet(backend, job.id);
      assert.equal(back.status, 'queued');
      assert.equal(back.attempts, 0);
      assert.equal(back.error, undefined);
      assert.equal(back.finishedAt, undefined);
      assert.equal(back.runAt, clock.now());
      const again = await claimOne(backend);
      assert.equal(again.id, job.id);
      assert.equal(again.attempts, 1);
      assert.equal(await backend.redrive({}), 0, 'nothing left to redrive');
    });

    it('redrive touches failed jobs only', async ({ backend }) => {
      const dead = await deadJob(backend);
      const waiting = await enqueueOne(backend, { delayMs: 60_000 });
      const queued = await enqueueOne(backend, { queue: 'q2' });
      const done = await enqueueOne(backend, { queue: 'q3' });
      const c = await claimOne(backend, { queues: ['q3'] });
      await backend.complete({ items: [{ ...leaseOf(c), output: 1 }] });
      const cancelled = await enqueueOne(backend, { queue: 'q4' });
      await backend.cancel({ id: cancelled.id });
      assert.equal(await backend.redrive({}), 1);
      assert.equal((await mustGet(backend, dead.id)).status, 'queued');
      assert.equal((await mustGet(backend, waiting.id)).status, 'scheduled');
      assert.equal((await mustGet(backend, queued.id)).status, 'queued');
      assert.equal((await mustGet(backend, done.id)).status, 'succeeded');
      assert.equal((await mustGet(backend, cancelled.id)).status, 'cancelled');
    });

    it('redrive filters by queue, type, ids and tenant, and honours a limit', async ({ backend }) => {
      const a1 = await deadJob(backend, { queue: 'a', type: 'math' });
      const a2 = await deadJob(backend, { queue: 'a', type: 'chat' });
      const b1 = await deadJob(backend, { queue: 'b', type: 'math' });
      const t1 = await deadJob(backend, { queue: 'c' }, { tenant: 'acme' });
      const t2 = await deadJob(backend, { queue: 'c' }, { tenant: 'globex' });
      const status = async (id: string) => (await mustGet(backend, id)).status;

      assert.equal(await backend.redrive({ queue: 'a', type: 'chat' }), 1);
      assert.equal(await status(a2.id), 'queued');
      assert.equal(await status(a1.id), 'failed');

      assert.equal(await backend.redrive({ ids: [b1.id, a2.id] }), 1, 'only failed jobs among the ids move');
      assert.equal(await status(b1.id), 'queued');

      assert.equal(await backend.redrive({ ids: [t1.id, t2.id], tenant: 'acme' }), 1);
      assert.equal(await status(t1.id), 'queued');
      assert.equal(await status(t2.id), 'failed');

      assert.equal(await backend.redrive({ limit: 1 }), 1);
      assert.equal(await backend.redrive({ limit: 1 }), 1);
      assert.equal(await backend.redrive({}), 0);
      assert.equal(await backend.redrive({ ids: [] }), 0);
    });

    it('redrive can give the jobs new maxAttempts and timeoutMs; without them they keep theirs', async ({ backend }) => {
      const changed = await deadJob(backend, { queue: 'a', maxAttempts: 1, timeoutMs: 1000 });
      const kept = await deadJob(backend, { queue: 'b', maxAttempts: 2, timeoutMs: 2000 });
      assert.equal(await backend.redrive({ queue: 'a', maxAttempts: 5, timeoutMs: 60_000 }), 1);
      assert.equal(await backend.redrive({ queue: 'b' }), 1);
      const back = await mustGet(backend, changed.id);
      assert.deepEqual([back.status, back.maxAttempts, back.timeoutMs], ['queued', 5, 60_000]);
      const same = await mustGet(backend, kept.id);
      assert.deepEqual([same.status, same.maxAttempts, same.timeoutMs], ['queued', 2, 2000]);
      // The attempt a worker claims carries the new settings.
      const claimed = await claimOne(backend, { queues: ['a'] });
      assert.deepEqual([claimed.id, claimed.maxAttempts, claimed.timeoutMs], [changed.id, 5, 60_000]);
    });

    it('a redriven job runs and can succeed', async ({ backend }) => {
      const job = await deadJob(backend);
      await backend.redrive({ ids: [job.id] });
      const claimed = await claimOne(backend);
      await backend.complete({ items: [{ ...leaseOf(claimed), output: 'second life' }] });
      const done = await mustGet(backend, job.id);
      assert.equal(done.status, 'succeeded');
      assert.equal(done.output, 'second life');
      assert.deepEqual(await claim(backend), []);
    });
  });
}
