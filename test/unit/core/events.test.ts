import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SluiceEvents } from '../../../src/core/events.js';
import type { Job } from '../../../src/core/job.js';

describe('SluiceEvents', () => {
  test('delivers typed payloads to listeners of that event only', () => {
    const events = new SluiceEvents();
    const enqueued: unknown[] = [];
    const cancelled: unknown[] = [];
    events.on('jobs:enqueued', (payload) => enqueued.push(payload));
    events.on('job:cancelled', (payload) => cancelled.push(payload.id));
    events.emit('jobs:enqueued', { queue: 'default', count: 3 });
    assert.deepEqual(enqueued, [{ queue: 'default', count: 3 }]);
    assert.deepEqual(cancelled, []);
  });

  test('several listeners run in subscription order', () => {
    const events = new SluiceEvents();
    const calls: string[] = [];
    events.on('job:progress', () => calls.push('a'));
    events.on('job:progress', () => calls.push('b'));
    events.emit('job:progress', { id: 'x', progress: 50 });
    assert.deepEqual(calls, ['a', 'b']);
  });

  test('on() returns an unsubscribe; off() removes a listener', () => {
    const events = new SluiceEvents();
    let count = 0;
    const listener = (): void => {
      count += 1;
    };
    const unsubscribe = events.on('queue:paused', listener);
    events.emit('queue:paused', { queue: 'q', paused: true });
    unsubscribe();
    events.emit('queue:paused', { queue: 'q', paused: false });
    assert.equal(count, 1);
    events.on('queue:paused', listener);
    events.off('queue:paused', listener);
    events.emit('queue:paused', { queue: 'q', paused: true });
    assert.equal(count, 1);
    assert.equal(events.listenerCount('queue:paused'), 0);
  });

  test('the same listener subscribed twice runs once', () => {
    const events = new SluiceEvents();
    let count = 0;
    const listener = (): void => {
      count += 1;
    };
    events.on('job:requeued', listener);
    events.on('job:requeued', listener);
    events.emit('job:requeued', { id: 'x', queue: 'default' });
    assert.equal(count, 1);
    assert.equal(events.listenerCount('job:requeued'), 1);
  });

  test("a listener's error does not reach the emitter or the other listeners", () => {
    const events = new SluiceEvents();
    const calls: string[] = [];
    events.on('job:cancelled', () => {
      throw new Error('listener bug');
    });
    events.on('job:cancelled', () => calls.push('second'));
    assert.doesNotThrow(() => events.emit('job:cancelled', { id: 'x' }));
    assert.deepEqual(calls, ['second']);
  });

  test('a listener removed during an emit still gets that emit (snapshot), not the next', () => {
    const events = new SluiceEvents();
    const calls: string[] = [];
    const second = (): void => {
      calls.push('second');
    };
    events.on('job:cancelled', () => {
      calls.push('first');
      events.off('job:cancelled', second);
    });
    events.on('job:cancelled', second);
    events.emit('job:cancelled', { id: 'a' });
    events.emit('job:cancelled', { id: 'b' });
    assert.deepEqual(calls, ['first', 'second', 'first']);
  });

  test('every job:finished also announces job:ended by id, remote flag and all', () => {
    const events = new SluiceEvents();
    const ended: unknown[] = [];
    events.on('job:ended', (payload) => ended.push(payload));
    const job = { id: 'j1' } as Job;
    events.emit('job:finished', { job });
    events.emit('job:finished', { job: { ...job, id: 'j2' }, remote: true });
    events.emitEnded(['j3', 'j4'], true);
    assert.deepEqual(ended, [{ id: 'j1' }, { id: 'j2', remote: true }, { id: 'j3', remote: true }, { id: 'j4', remote: true }]);
  });

  test('a local listener skips relayed payloads and does not count as wanting them', () => {
    const events = new SluiceEvents();
    const local: unknown[] = [];
    const all: unknown[] = [];
    const off = events.on('job:finished', ({ job }) => local.push(job.id), { local: true });
    events.on('job:finished', ({ job }) => all.push(job.id));
    assert.equal(events.listenerCount('job:finished'), 2);
    assert.equal(events.remoteListenerCount('job:finished'), 1);
    events.emit('job:finished', { job: { id: 'here' } as Job });
    events.emit('job:finished', { job: { id: 'there' } as Job, remote: true });
    assert.deepEqual(local, ['here']);
    assert.deepEqual(all, ['here', 'there']);
    off();
    assert.equal(events.listenerCount('job:finished'), 1);
    assert.equal(events.remoteListenerCount('job:finished'), 1);
  });

  test('emit with no listeners and listenerCount of an unknown event are fine', () => {
    const events = new SluiceEvents();
    assert.doesNotThrow(() => events.emit('job:progress', { id: 'x', progress: 1 }));
    assert.equal(events.listenerCount('job:finished'), 0);
  });

  describe('relay on demand', () => {
    test('without a relay source, relaying() resolves at once', async () => {
      await new SluiceEvents().relaying();
    });

    test('starts once, at the first listener that takes relayed payloads; local-only listeners start nothing', async () => {
      const events = new SluiceEvents();
      let starts = 0;
      let finishStart!: () => void;
      events.relayOnDemand(() => {
        starts++;
        return new Promise<void>((resolve) => {
          finishStart = resolve;
        });
      });
      events.on('job:finished', () => undefined, { local: true });
      assert.equal(starts, 0);
      events.on('jobs:enqueued', () => undefined);
      events.on('job:ended', () => undefined);
      assert.equal(starts, 1);
      let ready = false;
      const relaying = events.relaying().then(() => {
        ready = true;
      });
      await Promise.resolve();
      assert.equal(ready, false, 'not before the relay listens');
      finishStart();
      await relaying;
      assert.equal(starts, 1);
    });

    test('relaying() starts the relay by itself, never rejects, and tries again after a failed start', async () => {
      const events = new SluiceEvents();
      const outcomes = [new Error('Redis is away'), undefined];
      let starts = 0;
      events.relayOnDemand(async () => {
        const outcome = outcomes[starts++];
        if (outcome) throw outcome;
      });
      await events.relaying();
      assert.equal(starts, 1);
      await events.relaying();
      assert.equal(starts, 2, 'the failed start is tried again');
      await events.relaying();
      assert.equal(starts, 2, 'a started relay is not started twice');
    });
  });
});
