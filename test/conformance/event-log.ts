import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Backend, FeedEvent, FeedParams, JobEvent } from '../../src/core/backend.js';
import { ErrorCodes } from '../../src/core/errors.js';
import {
  type BackendFactory,
  backendTest,
  claimOne,
  enqueue,
  enqueueOne,
  LEASE_MS,
  leaseOf,
  nextEvent,
  rejectsWithCode,
  role,
} from './harness.js';

const E = { code: 'E_BOOM', message: 'boom' };

/** The events of a job as `[type, attempt]` pairs, checking that seq runs 1, 2, 3… */
async function history(backend: Backend, id: string): Promise<Array<[string, number | undefined]>> {
  const events = await role(backend, 'eventLog').jobEvents({ id });
  assert.ok(events, `job ${id} has a log`);
  assert.deepEqual(
    events.map((e) => e.seq),
    events.map((_, i) => i + 1),
    'seq is 1, 2, 3… without gaps',
  );
  return events.map((e) => [e.type, e.attempt]);
}

async function eventsOf(backend: Backend, id: string): Promise<JobEvent[]> {
  const events = await role(backend, 'eventLog').jobEvents({ id });
  assert.ok(events);
  return events;
}

/** Reads the whole feed after `after`, page by page. */
async function readFeed(backend: Backend, after?: string, limit = 3): Promise<{ events: FeedEvent[]; cursor: string }> {
  const log = role(backend, 'eventLog');
  const events: FeedEvent[] = [];
  let cursor = after;
  for (;;) {
    const page = await log.feed({ after: cursor, limit });
    events.push(...page.events);
    if (page.events.length === 0) return { events, cursor: page.cursor };
    cursor = page.cursor;
  }
}

/**
 * Reads the feed from `params.after` until it has returned `count` events (or a few seconds pass),
 * page by page. A feed may lag for a moment without ever skipping (PostgreSQL holds events back
 * while an older transaction anywhere on the server is open): the cases wait for what they wrote.
 */
async function feedAtLeast(
  backend: Backend,
  params: FeedParams,
  count: number,
): Promise<{ events: FeedEvent[]; cursor: string }> {
  const log = role(backend, 'eventLog');
  const events: FeedEvent[] = [];
  let cursor = params.after;
  const deadline = Date.now() + 5_000;
  for (;;) {
    const page = await log.feed({ ...params, after: cursor });
    events.push(...page.events);
    cursor = page.cursor;
    if (events.length >= count || Date.now() > deadline) return { events, cursor };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Invariant 8: every change of a job is an event, stored in the same atomic step. */
export function eventLogSuite(factory: BackendFactory): void {
  describe('event log', () => {
    const it = backendTest(factory);
    const requires = 'eventLog' as const;

    it(
      'a job that runs once and succeeds: created, started, progress, succeeded',
      async ({ backend, clock }) => {
        const job = await enqueueOne(backend, { priority: 3 });
        clock.advance(10);
        const claimed = await claimOne(backend, { workerId: 'w-7' });
        await backend.reportProgress({ ...leaseOf(claimed), progress: { pct: 50 } });
        await backend.complete({ items: [{ ...leaseOf(claimed), output: { answer: 42 } }] });
        assert.deepEqual(await history(backend, job.id), [
          ['job.created', undefined],
          ['job.started', 1],
          ['job.progress', 1],
          ['job.succeeded', 1],
        ]);
        const [created, started, progress, succeeded] = await eventsOf(backend, job.id);
        assert.deepEqual(created!.data, { type: 'noop', status: 'queued', runAt: job.runAt, priority: 3 });
        assert.equal(created!.at, job.createdAt);
        assert.equal(created!.queue, 'default');
        assert.equal(created!.jobId, job.id);
        assert.deepEqual(started!.data, { workerId: 'w-7', leaseExpiresAt: claimed.leaseExpiresAt });
        assert.equal(started!.at, job.createdAt + 10);
        assert.deepEqual(progress!.data, { progress: { pct: 50 } });
        assert.deepEqual(succeeded!.data, { output: { answer: 42 } });
      },
      { requires },
    );

    it(
      'a delayed job is created scheduled; a failed attempt is retrying, the last one failed',
      async ({ backend, clock }) => {
        const job = await enqueueOne(backend, { delayMs: 5_000, maxAttempts: 2 });
        clock.advance(5_000);
        const first = await claimOne(backend);
        await backend.fail({ items: [{ ...leaseOf(first), outcome: 'retry', delayMs: 1_000, error: E }] });
        clock.advance(1_000);
        const second = await claimOne(backend);
        await backend.fail({ items: [{ ...leaseOf(second), outcome: 'fail', error: E }] });
        assert.deepEqual(await history(backend, job.id), [
          ['job.created', undefined],
          ['job.scheduled', undefined],
          ['job.started', 1],
          ['job.retrying', 1],
          ['job.started', 2],
          ['job.failed', 2],
        ]);
        const events = await eventsOf(backend, job.id);
        assert.deepEqual(events[0]!.data, { type: 'noop', status: 'scheduled', runAt: job.runAt, priority: 0 });
        assert.deepEqual(events[1]!.data, { runAt: job.runAt });
        const retrying = events[3]!.data as { error: { code: string }; runAt: number };
        assert.equal(retrying.error.code, E.code);
        assert.equal(retrying.runAt, events[3]!.at + 1_000);
        assert.equal((events[5]!.data as { error: { code: string } }).error.code, E.code);
      },
      { requires },
    );

    it(
      'a lease that expires is job.lost; on the last attempt job.failed follows',
      async ({ backend, clock }) => {
        const job = await enqueueOne(backend, { maxAttempts: 2 });
        await claimOne(backend, { leaseMs: 1_000 });
        clock.advance(1_000);
        await backend.reclaimExpired();
        await claimOne(backend, { leaseMs: 1_000 });
        clock.advance(1_000);
        await backend.reclaimExpired();
        assert.deepEqual(await history(backend, job.id), [
          ['job.created', undefined],
          ['job.started', 1],
          ['job.lost', 1],
          ['job.started', 2],
          ['job.lost', 2],
          ['job.failed', 2],
        ]);
        const events = await eventsOf(backend, job.id);
        const lost = events[2]!.data as { error: { code: string }; status: string };
        assert.equal(lost.error.code, ErrorCodes.leaseExpired);
        assert.equal(lost.status, 'queued');
        assert.equal((events[4]!.data as { status: string }).status, 'failed');
        assert.equal((events[5]!.data as { error: { code: string } }).error.code, ErrorCodes.leaseExpired);
      },
      { requires },
    );

    it(
      'cancel says what it cancelled; release and redrive have their own events',
      async ({ backend }) => {
        const [waiting, running, released] = await enqueue(backend, { queue: 'a' }, { queue: 'b' }, { queue: 'c' });
        await backend.cancel({ id: waiting!.id });
        const claimed = await claimOne(backend, { queues: ['b'] });
        await backend.cancel({ id: running!.id });
        const toRelease = await claimOne(backend, { queues: ['c'] });
        await backend.release({ items: [leaseOf(toRelease)] });
        const again = await claimOne(backend, { queues: ['c'] });
        await backend.fail({ items: [{ ...leaseOf(again), outcome: 'fail', error: E }] });
        assert.equal(await backend.redrive({ queue: 'c' }), 1);

        assert.deepEqual(await history(backend, waiting!.id), [
          ['job.created', undefined],
          ['job.cancelled', undefined],
        ]);
        assert.deepEqual((await eventsOf(backend, waiting!.id))[1]!.data, { from: 'queued' });
        assert.deepEqual(await history(backend, running!.id), [
          ['job.created', undefined],
          ['job.started', claimed.attempts],
          ['job.cancelled', claimed.attempts],
        ]);
        assert.deepEqual((await eventsOf(backend, running!.id))[2]!.data, { from: 'running' });
        assert.deepEqual(await history(backend, released!.id), [
          ['job.created', undefined],
          ['job.started', 1],
          ['job.released', 1],
          ['job.started', again.attempts],
          ['job.failed', again.attempts],
          ['job.redriven', undefined],
        ]);
        const redriven = (await eventsOf(backend, released!.id))[5]!;
        assert.equal(typeof (redriven.data as { runAt: number }).runAt, 'number');
      },
      { requires },
    );

    it(
      'appendOutput adds one job.output.delta per call, in order, fenced by the lease',
      async ({ backend, clock }) => {
        const log = role(backend, 'eventLog');
        const job = await enqueueOne(backend, { maxAttempts: 3 });
        const first = await claimOne(backend, { leaseMs: 1_000 });
        const delta = await log.appendOutput({ ...leaseOf(first), chunks: ['Hel', 'lo'] });
        assert.equal(delta.type, 'job.output.delta');
        assert.equal(delta.seq, 3);
        assert.equal(delta.attempt, 1);
        assert.deepEqual(delta.data, { chunks: ['Hel', 'lo'] });
        await log.appendOutput({ ...leaseOf(first), chunks: [', world'] });
        clock.advance(1_000);
        await backend.reclaimExpired();
        await rejectsWithCode(log.appendOutput({ ...leaseOf(first), chunks: ['stale'] }), ErrorCodes.leaseLost);
        const events = await eventsOf(backend, job.id);
        assert.deepEqual(
          events.filter((e) => e.type === 'job.output.delta').map((e) => e.data),
          [{ chunks: ['Hel', 'lo'] }, { chunks: [', world'] }],
        );
        assert.deepEqual(
          events.map((e) => e.type),
          ['job.created', 'job.started', 'job.output.delta', 'job.output.delta', 'job.lost'],
          'the stale append left nothing',
        );
      },
      { requires },
    );

    it(
      'a stale settlement and a repeated idempotent enqueue append nothing',
      async ({ backend, clock }) => {
        const job = await enqueueOne(backend, { idempotencyKey: 'once', maxAttempts: 3 });
        await enqueueOne(backend, { idempotencyKey: 'once', maxAttempts: 3 });
        const stale = await claimOne(backend, { leaseMs: 1_000 });
        clock.advance(1_000);
        await backend.reclaimExpired();
        const [outcome] = await backend.complete({ items: [{ ...leaseOf(stale), output: 1 }] });
        assert.equal(outcome?.result, 'lease_lost');
        await rejectsWithCode(backend.reportProgress({ ...leaseOf(stale), progress: 1 }), ErrorCodes.leaseLost);
        assert.deepEqual(await history(backend, job.id), [
          ['job.created', undefined],
          ['job.started', 1],
          ['job.lost', 1],
        ]);
      },
      { requires },
    );

    it(
      'jobEvents reads after a seq, up to a limit; an unknown or foreign job reads as null',
      async ({ backend }) => {
        const log = role(backend, 'eventLog');
        const job = await enqueueOne(backend, {}, { tenant: 't1' });
        const claimed = await claimOne(backend);
        for (const pct of [1, 2, 3]) await backend.reportProgress({ ...leaseOf(claimed), progress: pct });
        const later = await log.jobEvents({ id: job.id, after: 2, limit: 2 });
        assert.deepEqual(
          later?.map((e) => [e.seq, e.type]),
          [
            [3, 'job.progress'],
            [4, 'job.progress'],
          ],
        );
        assert.equal(later?.[0]?.tenant, 't1');
        assert.deepEqual(await log.jobEvents({ id: job.id, after: 5 }), []);
        assert.equal((await log.jobEvents({ id: job.id, tenant: 't1' }))?.length, 5);
        assert.equal(await log.jobEvents({ id: job.id, tenant: 't2' }), null);
        assert.equal(await log.jobEvents({ id: '01890000-0000-7000-8000-000000000000' }), null);
      },
      { requires },
    );

    it(
      'the feed orders every event of the backend and resumes by cursor without gap or repeat',
      async ({ backend }) => {
        const log = role(backend, 'eventLog');
        const head = await log.feed({ limit: 0 });
        assert.deepEqual(head.events, []);
        const [a, b] = await enqueue(backend, { queue: 'qa' }, { queue: 'qb' });
        const claimed = await claimOne(backend, { queues: ['qa'] });
        await backend.complete({ items: [{ ...leaseOf(claimed), output: 'done' }] });
        const all = await feedAtLeast(backend, { after: head.cursor, limit: 3 }, 4);
        assert.deepEqual(
          all.events.map((e) => [e.jobId, e.type]),
          [
            [a!.id, 'job.created'],
            [b!.id, 'job.created'],
            [a!.id, 'job.started'],
            [a!.id, 'job.succeeded'],
          ],
        );
        assert.equal(new Set(all.events.map((e) => e.cursor)).size, 4, 'each event has its own cursor');
        const resumed = await feedAtLeast(backend, { after: all.events[1]!.cursor, limit: 3 }, 2);
        assert.deepEqual(resumed.events, all.events.slice(2));
        // Nothing new: the end cursor reads nothing; what comes later reads once.
        assert.deepEqual((await log.feed({ after: all.cursor, limit: 10 })).events, []);
        await backend.cancel({ id: b!.id });
        const next = await feedAtLeast(backend, { after: all.cursor, limit: 10 }, 1);
        assert.deepEqual(
          next.events.map((e) => [e.jobId, e.type, e.seq]),
          [[b!.id, 'job.cancelled', 2]],
        );
        assert.deepEqual((await log.feed({ after: next.cursor, limit: 10 })).events, []);
      },
      { requires },
    );

    it(
      'the feed filters by tenant, queue and type, and its cursor passes what it left out',
      async ({ backend }) => {
        const log = role(backend, 'eventLog');
        const head = await log.feed({ limit: 0 });
        await enqueueOne(backend, { queue: 'qa' }, { tenant: 't1' });
        await enqueueOne(backend, { queue: 'qb' }, { tenant: 't1' });
        await enqueueOne(backend, { queue: 'qa' }, { tenant: 't2' });
        const claimed = await claimOne(backend, { queues: ['qa'], limit: 1 });
        const mine = await feedAtLeast(backend, { after: head.cursor, tenant: 't1', limit: 10 }, 3);
        assert.deepEqual(
          mine.events.map((e) => [e.queue, e.type]),
          [
            ['qa', 'job.created'],
            ['qb', 'job.created'],
            ['qa', 'job.started'],
          ],
        );
        assert.ok(mine.events.every((e) => e.tenant === 't1'));
        const qa = await feedAtLeast(backend, { after: head.cursor, queue: 'qa', types: ['job.created'], limit: 10 }, 2);
        assert.deepEqual(
          qa.events.map((e) => e.tenant),
          ['t1', 't2'],
        );
        await backend.complete({ items: [{ ...leaseOf(claimed), output: null }] });
        const after = await log.feed({ after: qa.cursor, queue: 'qa', types: ['job.created'], limit: 10 });
        assert.deepEqual(after.events, [], 'the started event it skipped is not read again');
        const rest = await feedAtLeast(backend, { after: qa.cursor, queue: 'qa', limit: 10 }, 1);
        assert.deepEqual(
          rest.events.map((e) => e.type),
          ['job.succeeded'],
          'the cursor of a filtered page is past the events it scanned',
        );
      },
      { requires },
    );

    it(
      'a cursor the backend did not hand out is a validation error naming after',
      async ({ backend }) => {
        const log = role(backend, 'eventLog');
        for (const after of ['', 'not-a-cursor', '-1', '{"x":1}']) {
          const error = await rejectsWithCode(log.feed({ after, limit: 10 }), ErrorCodes.validation);
          assert.equal(error.field, 'after');
        }
      },
      { requires },
    );

    it(
      'a bulk enqueue logs job.created for each job, in the order given',
      async ({ backend }) => {
        const log = role(backend, 'eventLog');
        const head = await log.feed({ limit: 0 });
        const jobs = await enqueue(backend, { queue: 'x' }, { queue: 'y' }, { queue: 'x', delayMs: 60_000 });
        const page = await feedAtLeast(backend, { after: head.cursor, limit: 10 }, 4);
        assert.deepEqual(
          page.events.map((e) => [e.jobId, e.type, e.seq]),
          [
            [jobs[0]!.id, 'job.created', 1],
            [jobs[1]!.id, 'job.created', 1],
            [jobs[2]!.id, 'job.created', 1],
            [jobs[2]!.id, 'job.scheduled', 2],
          ],
        );
      },
      { requires },
    );

    it(
      'events go with their job at retention',
      async ({ backend, clock }) => {
        const log = role(backend, 'eventLog');
        const job = await enqueueOne(backend);
        const keep = await enqueueOne(backend, { queue: 'other' });
        const claimed = await claimOne(backend);
        await backend.complete({ items: [{ ...leaseOf(claimed), output: null }] });
        clock.advance(LEASE_MS);
        assert.equal(await backend.purgeFinished({ finishedOlderThanMs: 1 }), 1);
        assert.equal(await log.jobEvents({ id: job.id }), null);
        const feed = await readFeed(backend);
        assert.ok(
          feed.events.every((e) => e.jobId !== job.id),
          'the feed no longer holds the purged job',
        );
        assert.deepEqual(
          feed.events.map((e) => [e.jobId, e.type]),
          [[keep.id, 'job.created']],
        );
      },
      { requires },
    );

    it(
      'another handle on the same storage reads what this one wrote, and tells of appends',
      async ({ backend, openAnother }) => {
        const other = await openAnother();
        const appended = nextEvent(backend, 'events:appended');
        const job = await enqueueOne(backend);
        assert.deepEqual(await appended, { id: job.id, queue: 'default', seq: 1 });
        const claimed = await claimOne(other);
        const started = nextEvent(other, 'events:appended');
        await other.complete({ items: [{ ...leaseOf(claimed), output: 'x' }] });
        assert.deepEqual(await started, { id: job.id, queue: 'default', seq: 3 });
        assert.deepEqual(await history(backend, job.id), [
          ['job.created', undefined],
          ['job.started', 1],
          ['job.succeeded', 1],
        ]);
        const feed = await feedAtLeast(other, { limit: 3 }, 3);
        assert.deepEqual(
          feed.events.map((e) => e.type),
          ['job.created', 'job.started', 'job.succeeded'],
        );
      },
      { requires },
    );
  });
}
