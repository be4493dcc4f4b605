import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Backend } from '../../src/core/backend.js';
import type { Job } from '../../src/core/job.js';
import {
  type BackendFactory,
  backendTest,
  claim,
  claimOne,
  enqueueOne,
  leaseOf,
  newJob,
  nextEvent,
  recordEvents,
} from './harness.js';

const ERR = { code: 'E', message: 'e' };

/** Ends three new jobs: the first completed (output 'out'), the second failed (ERR), the third cancelled. */
async function finishThreeWays(backend: Backend): Promise<[Job, Job, Job]> {
  const a = await enqueueOne(backend);
  const b = await enqueueOne(backend);
  const c = await enqueueOne(backend);
  const [ca, cb] = await claim(backend, { limit: 2 });
  assert.ok(ca && cb);
  await backend.complete({ items: [{ ...leaseOf(ca), output: 'out' }] });
  await backend.fail({ items: [{ ...leaseOf(cb), outcome: 'fail', error: ERR }] });
  await backend.cancel({ id: c.id });
  return [a, b, c];
}

/** Events fire after the change they announce is stored, and only for changes that happened. */
export function eventsSuite(factory: BackendFactory): void {
  describe('events', () => {
    const it = backendTest(factory);

    it('jobs:enqueued fires once per queue with the count of new jobs, after they are readable', async ({ backend }) => {
      const seen: Array<{ queue: string; count: number }> = [];
      const reads: Array<Promise<Job | null>> = [];
      const jobs = [newJob({ queue: 'a' }), newJob({ queue: 'b' }), newJob({ queue: 'a' })];
      backend.events.on('jobs:enqueued', (payload) => {
        seen.push(payload);
        reads.push(backend.get({ id: jobs[0]!.id }));
      });
      await backend.enqueue({ jobs });
      assert.deepEqual(
        seen.sort((x, y) => x.queue.localeCompare(y.queue)),
        [
          { queue: 'a', count: 2 },
          { queue: 'b', count: 1 },
        ],
      );
      for (const read of await Promise.all(reads)) assert.equal(read?.id, jobs[0]!.id);
    });

    it('an idempotent repeat announces nothing', async ({ backend }) => {
      await backend.enqueue({ jobs: [newJob({ idempotencyKey: 'k' })] });
      const rec = recordEvents(backend, 'jobs:enqueued');
      await backend.enqueue({ jobs: [newJob({ idempotencyKey: 'k' })] });
      assert.deepEqual(rec.events, []);
    });

    it('job:finished carries the finished job for complete, fail and cancel', async ({ backend }) => {
      const rec = recordEvents(backend, 'job:finished');
      const [a, b, c] = await finishThreeWays(backend);
      const finished = rec.events.map((e) => e.payload.job);
      assert.deepEqual(
        finished.map((j) => [j.id, j.status]),
        [
          [a.id, 'succeeded'],
          [b.id, 'failed'],
          [c.id, 'cancelled'],
        ],
      );
      assert.equal(finished[0]!.output, 'out');
      assert.deepEqual(finished[1]!.error, ERR);
    });

    it('job:requeued fires for a retry, a release, a reclaimed lease and a redrive', async ({ backend, clock }) => {
      const rec = recordEvents(backend, 'job:requeued');
      const job = await enqueueOne(backend, { queue: 'q', maxAttempts: 10 });
      const q = { queues: ['q'] };
      let c = await claimOne(backend, q);
      await backend.fail({ items: [{ ...leaseOf(c), outcome: 'retry', delayMs: 0, error: ERR }] });
      c = await claimOne(backend, q);
      await backend.release({ items: [leaseOf(c)] });
      c = await claimOne(backend, { ...q, leaseMs: 1000 });
      clock.advance(1000);
      await backend.reclaimExpired();
      c = await claimOne(backend, q);
      await backend.fail({ items: [{ ...leaseOf(c), outcome: 'fail', error: ERR }] });
      await backend.redrive({ ids: [job.id] });
      assert.deepEqual(
        rec.events.map((e) => e.payload),
        Array.from({ length: 4 }, () => ({ id: job.id, queue: 'q' })),
      );
    });

    it('job:ended announces every finish by id, also when nobody listens for the rows', async ({ backend }) => {
      const rec = recordEvents(backend, 'job:ended');
      const [a, b, c] = await finishThreeWays(backend);
      assert.deepEqual(
        rec.events.map((e) => e.payload),
        [{ id: a.id }, { id: b.id }, { id: c.id }],
      );
    });

    it("a local-only job:finished listener hears its own handle's finishes; another process hears job:ended", async ({
      backend,
      openAnother,
    }) => {
      const heardHere: string[] = [];
      backend.events.on('job:finished', ({ job }) => heardHere.push(job.id), { local: true });
      // Backends that relay changes between processes: a second handle is another process.
      const there = backend.capabilities.crossProcessEvents ? await openAnother() : undefined;
      const heardThere: string[] = [];
      there?.events.on('job:finished', ({ job }) => heardThere.push(job.id), { local: true });
      const job = await enqueueOne(backend);
      const ended = there && nextEvent(there, 'job:ended', (p) => p.id === job.id);
      await there?.events.relaying();
      const claimed = await claimOne(backend);
      await backend.complete({ items: [{ ...leaseOf(claimed), output: null }] });
      assert.deepEqual(heardHere, [job.id]);
      if (ended) {
        assert.deepEqual(await ended, { id: job.id, remote: true });
        assert.deepEqual(heardThere, [], 'a relayed finish skips local-only listeners');
      }
    });

    it('another handle hears enqueues, finishes, cancels and pauses when the backend relays between processes', async ({
      backend,
      openAnother,
    }) => {
      // A backend that relays: a second handle stands for another process, and hears (remote) what
      // this one does once relaying() resolves (a backend may subscribe only on demand). Otherwise
      // only the handle that made the changes is sure to hear them.
      const relays = backend.capabilities.crossProcessEvents;
      const listener = relays ? await openAnother() : backend;
      await listener.events.relaying();
      const remote = relays ? { remote: true } : {};

      const enqueued = nextEvent(listener, 'jobs:enqueued', (p) => p.queue === 'remote');
      const first = await enqueueOne(backend, { queue: 'remote' });
      assert.deepEqual(await enqueued, { queue: 'remote', count: 1, ...remote });

      const claimed = await claimOne(backend, { queues: ['remote'] });
      assert.equal(claimed.id, first.id);
      const finished = nextEvent(listener, 'job:finished', (p) => p.job.id === claimed.id);
      await backend.complete({ items: [{ ...leaseOf(claimed), output: { ok: true } }] });
      const { job } = await finished;
      assert.equal(job.status, 'succeeded');
      assert.deepEqual(job.output, { ok: true });

      // job:cancelled is for a running job (its worker aborts the handler).
      const second = await enqueueOne(backend, { queue: 'remote' });
      assert.equal((await claimOne(backend, { queues: ['remote'] })).id, second.id);
      const cancelled = nextEvent(listener, 'job:cancelled', (p) => p.id === second.id);
      await backend.cancel({ id: second.id });
      assert.deepEqual(await cancelled, { id: second.id });

      const paused = nextEvent(listener, 'queue:paused', (p) => p.queue === 'remote');
      await backend.pauseQueue({ queue: 'remote', paused: true });
      assert.deepEqual(await paused, { queue: 'remote', paused: true });
    });

    it('a lease reclaimed on its last attempt announces job:finished', async ({ backend, clock }) => {
      const job = await enqueueOne(backend, { maxAttempts: 1 });
      await claimOne(backend, { leaseMs: 1000 });
      const rec = recordEvents(backend, 'job:finished', 'job:requeued');
      clock.advance(1000);
      await backend.reclaimExpired();
      assert.equal(rec.events.length, 1);
      assert.equal(rec.events[0]!.name, 'job:finished');
      const payload = rec.events[0]!.payload as { job: Job };
      assert.equal(payload.job.id, job.id);
      assert.equal(payload.job.status, 'failed');
    });

    it('redrive announces jobs:enqueued per queue', async ({ backend }) => {
      for (const queue of ['a', 'a', 'b']) {
        await enqueueOne(backend, { queue });
        const c = await claimOne(backend, { queues: [queue] });
        await backend.fail({ items: [{ ...leaseOf(c), outcome: 'fail', error: ERR }] });
      }
      const rec = recordEvents(backend, 'jobs:enqueued');
      assert.equal(await backend.redrive({}), 3);
      // `remote` wake-ups (a broker transport's deliveries) are not this process's announcements.
      assert.deepEqual(
        rec.events
          .map((e) => e.payload)
          .filter((p) => p.remote !== true)
          .sort((x, y) => x.queue.localeCompare(y.queue)),
        [
          { queue: 'a', count: 2 },
          { queue: 'b', count: 1 },
        ],
      );
    });

    it('queue:paused and job:progress carry their payloads', async ({ backend }) => {
      const rec = recordEvents(backend, 'queue:paused', 'job:progress');
      await backend.pauseQueue({ queue: 'x', paused: true });
      await backend.pauseQueue({ queue: 'x', paused: false });
      await enqueueOne(backend);
      const c = await claimOne(backend);
      await backend.reportProgress({ ...leaseOf(c), progress: { tokens: 12 } });
      assert.deepEqual(rec.events, [
        { name: 'queue:paused', payload: { queue: 'x', paused: true } },
        { name: 'queue:paused', payload: { queue: 'x', paused: false } },
        { name: 'job:progress', payload: { id: c.id, progress: { tokens: 12 } } },
      ]);
    });

    it('a write that lost its lease announces nothing', async ({ backend }) => {
      await enqueueOne(backend);
      const c = await claimOne(backend);
      await backend.cancel({ id: c.id });
      const rec = recordEvents(backend, 'job:finished', 'job:requeued', 'job:progress', 'job:cancelled');
      await backend.complete({ items: [{ ...leaseOf(c), output: 1 }] });
      await backend.fail({ items: [{ ...leaseOf(c), outcome: 'retry', delayMs: 0, error: ERR }] });
      await backend.release({ items: [leaseOf(c)] });
      await backend.reportProgress({ ...leaseOf(c), progress: 1 }).catch(() => undefined);
      assert.deepEqual(rec.events, []);
    });

    it('a listener that throws does not break the write', async ({ backend }) => {
      backend.events.on('jobs:enqueued', () => {
        throw new Error('listener bug');
      });
      const job = await enqueueOne(backend);
      assert.ok(await backend.get({ id: job.id }));
    });
  });
}
