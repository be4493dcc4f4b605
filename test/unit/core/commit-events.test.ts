import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommitEvents } from '../../../src/core/commit-events.js';
import { type SluiceEventName, SluiceEvents } from '../../../src/core/events.js';
import type { Job } from '../../../src/core/job.js';

function recorder(): { events: SluiceEvents; heard: Array<[SluiceEventName, unknown]> } {
  const events = new SluiceEvents();
  const heard: Array<[SluiceEventName, unknown]> = [];
  for (const name of ['jobs:enqueued', 'job:finished', 'job:cancelled', 'job:requeued', 'queue:paused'] as const) {
    events.on(name, (payload: unknown) => heard.push([name, payload]), { local: true });
  }
  return { events, heard };
}

function job(id: string, status: Job['status']): Job {
  const backoff = { type: 'fixed', delayMs: 0, maxDelayMs: 0, jitter: 'none' } as const;
  return {
    id,
    type: 't',
    queue: 'q',
    status,
    input: null,
    priority: 0,
    attempts: 1,
    maxAttempts: 1,
    backoff,
    createdAt: 0,
    runAt: 0,
    updatedAt: 0,
  };
}

describe('CommitEvents', () => {
  test('nothing is heard until emitTo, then everything in order, once', () => {
    const { events, heard } = recorder();
    const pending = new CommitEvents().requeued('a', 'q').add('queue:paused', { queue: 'q', paused: true });
    assert.deepEqual(heard, []);
    pending.emitTo(events);
    assert.deepEqual(heard, [
      ['job:requeued', { id: 'a', queue: 'q' }],
      ['queue:paused', { queue: 'q', paused: true }],
    ]);
    pending.emitTo(events);
    assert.equal(heard.length, 2, 'emitted once');
  });

  test('a settled row ended or went back by its stored status; the job is built only when it ended', () => {
    const { events, heard } = recorder();
    let built = 0;
    const build = (status: Job['status']) => () => {
      built++;
      return job('x', status);
    };
    new CommitEvents()
      .settled({ id: 'x', queue: 'q', status: 'queued' }, build('queued'))
      .settled({ id: 'x', queue: 'q', status: 'scheduled' }, build('scheduled'))
      .settled({ id: 'x', queue: 'q', status: 'failed' }, build('failed'))
      .emitTo(events);
    assert.deepEqual(
      heard.map(([name]) => name),
      ['job:requeued', 'job:requeued', 'job:finished'],
    );
    assert.equal(built, 1);
  });

  test('a cancel tells a running worker first, then that the job ended', () => {
    const { events, heard } = recorder();
    new CommitEvents().cancelled(job('r', 'cancelled'), true).cancelled(job('w', 'cancelled'), false).emitTo(events);
    assert.deepEqual(
      heard.map(([name, payload]) => [name, (payload as { id?: string; job?: Job }).id ?? (payload as { job: Job }).job.id]),
      [
        ['job:cancelled', 'r'],
        ['job:finished', 'r'],
        ['job:finished', 'w'],
      ],
    );
  });

  test('a batch put back: requeued each, then one enqueued per queue; empty counts say nothing', () => {
    const { events, heard } = recorder();
    const pending = new CommitEvents();
    const perQueue = pending.requeuedBatch([
      { id: '1', queue: 'a' },
      { id: '2', queue: 'b' },
      { id: '3', queue: 'a' },
    ]);
    pending.enqueued('c', 0).emitTo(events);
    assert.deepEqual(
      [...perQueue],
      [
        ['a', 2],
        ['b', 1],
      ],
    );
    assert.deepEqual(heard, [
      ['job:requeued', { id: '1', queue: 'a' }],
      ['job:requeued', { id: '2', queue: 'b' }],
      ['job:requeued', { id: '3', queue: 'a' }],
      ['jobs:enqueued', { queue: 'a', count: 2 }],
      ['jobs:enqueued', { queue: 'b', count: 1 }],
    ]);
  });
});
