import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EventLogStore, FeedEvent, FeedParams, JobEvent } from '../../../src/core/backend.js';
import { systemClock } from '../../../src/core/clock.js';
import type { JobEventJson } from '../../../src/core/job-event-json.js';
import { EventHub } from '../../../src/server/push/event-hub.js';
import { JobStream } from '../../../src/server/push/job-stream.js';
import type { CutReason, PushSink } from '../../../src/server/push/push-sink.js';
import { Sluice } from '../../../src/sluice.js';
import { MemoryBackend } from '../../helpers/memory-backend.js';

/** The memory backend's log, counting the feed reads (what the hub costs). */
function countingLog(backend: MemoryBackend): { log: EventLogStore; reads: FeedParams[] } {
  const reads: FeedParams[] = [];
  const log: EventLogStore = {
    jobEvents: (params) => backend.jobEvents(params),
    feed: (params) => {
      reads.push(params);
      return backend.feed(params);
    },
    appendOutput: (params) => backend.appendOutput(params),
  };
  return { log, reads };
}

/** A sink that records what it was sent, with a buffer the test sets. */
class RecordingSink implements PushSink {
  readonly sent: Array<{ id: string; event: JobEventJson }> = [];
  ended = false;
  cutFor: CutReason | undefined;
  bufferedBytes = 0;
  private readonly listeners: Array<() => void> = [];
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];

  get closed(): boolean {
    return this.ended || this.cutFor !== undefined;
  }
  send(event: JobEventJson, id: string): void {
    this.sent.push({ id, event });
    for (const waiter of this.waiters.filter((w) => this.sent.length >= w.count)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
  end(): void {
    this.ended = true;
    for (const listener of this.listeners.splice(0)) listener();
  }
  cut(reason: CutReason): void {
    this.cutFor = reason;
    for (const listener of this.listeners.splice(0)) listener();
  }
  onClose(listener: () => void): void {
    this.listeners.push(listener);
  }
  /** Resolves once `count` events were sent. */
  until(count: number): Promise<void> {
    return this.sent.length >= count ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}

/** What a watcher got, and a wait for the first `count` of it. */
function collector() {
  const events: FeedEvent[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  return {
    events,
    deliver: (event: FeedEvent) => {
      events.push(event);
      for (const waiter of waiters.filter((w) => events.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    until: (count: number) =>
      events.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
  };
}

const LIMITS = { maxBufferedBytes: 1000, maxPendingEvents: 10 };

async function rig() {
  const backend = new MemoryBackend({ clock: systemClock });
  const sluice = Sluice.fromBackend(backend, { maintenance: false });
  const { log, reads } = countingLog(backend);
  const hub = new EventHub(log, backend.events, { pollMs: 60_000 });
  const claim = async () => {
    const [job] = await backend.claim({ queues: ['default'], limit: 1, leaseMs: 30_000, workerId: 'w' });
    return job!;
  };
  return { backend, sluice, log, reads, hub, claim };
}

describe('EventHub', () => {
  test('reads nothing while nobody watches, and syncs a watcher only after a read that began after it', async () => {
    const { sluice, reads, hub } = await rig();
    await sluice.enqueue({ type: 'echo', input: {} });
    assert.equal(reads.length, 0, 'no watcher, no read');
    const got = collector();
    const watch = hub.watch({ queue: 'default' }, got.deliver);
    await watch.synced;
    assert.ok(reads.length >= 1);
    assert.equal(got.events.length, 0, 'what was there before the sync is the stream’s to read from the store');
    const job = await sluice.enqueue({ type: 'echo', input: {} });
    await got.until(1);
    assert.deepEqual(
      got.events.map((e) => [e.jobId, e.type]),
      [[job.id, 'job.created']],
    );
    watch.stop();
    const before = reads.length;
    await sluice.enqueue({ type: 'echo', input: {} });
    assert.equal(reads.length, before, 'no read once the last watcher left');
    hub.close();
  });

  test('a relayed change from another process wakes it (job:ended with remote)', async () => {
    const { backend, reads, log, hub } = await rig();
    const watch = hub.watch({ job: 'x' }, () => {});
    await watch.synced;
    const read = new Promise<void>((resolve) => {
      const original = log.feed;
      log.feed = (params) => {
        log.feed = original;
        resolve();
        return original(params);
      };
    });
    backend.events.emit('job:ended', { id: 'elsewhere', remote: true });
    await read;
    assert.ok(reads.length > 0, 'it read the feed');
    watch.stop();
    hub.close();
  });

  test('filters by job, tenant, queue and type', async () => {
    const { sluice, hub } = await rig();
    const byType = collector();
    const byTenant = collector();
    const a = hub.watch({ types: new Set(['job.cancelled']) }, byType.deliver);
    const b = hub.watch({ tenant: 't2' }, byTenant.deliver);
    await Promise.all([a.synced, b.synced]);
    const mine = await sluice.enqueue({ type: 'echo', input: {} }, { tenant: 't1' });
    const theirs = await sluice.enqueue({ type: 'echo', input: {} }, { tenant: 't2' });
    await sluice.cancel(mine.id);
    await Promise.all([byType.until(1), byTenant.until(1)]);
    assert.deepEqual(
      byType.events.map((e) => [e.jobId, e.type]),
      [[mine.id, 'job.cancelled']],
    );
    assert.deepEqual(
      byTenant.events.map((e) => e.jobId),
      [theirs.id],
    );
    a.stop();
    b.stop();
    hub.close();
  });
});

describe('JobStream', () => {
  test('drops what it has, reads the store again at a gap, and ends after the terminal event', async () => {
    const { backend, sluice, log, claim } = await rig();
    const job = await sluice.enqueue({ type: 'echo', input: {} });
    const claimed = await claim();
    await backend.reportProgress({ id: job.id, leaseToken: claimed.leaseToken, progress: 1 });
    const events = (await log.jobEvents({ id: job.id }))!;
    // A hub the test drives: it syncs at once and hands over what the test says.
    let deliver: (event: FeedEvent) => void = () => {};
    const hub = {
      watch: (_filter: unknown, handler: (event: FeedEvent) => void) => {
        deliver = handler;
        return { synced: Promise.resolve(), stop: () => {} };
      },
    } as unknown as EventHub;
    const sink = new RecordingSink();
    const stream = new JobStream(log, hub, sink, { id: job.id, tenant: undefined, after: 0 }, LIMITS);
    await stream.start(events.slice(0, 1));
    await sink.until(3);
    assert.deepEqual(
      sink.sent.map((s) => s.id),
      ['1', '2', '3'],
      'the store read after the sync sent what the first page left',
    );
    const asFeed = (event: JobEvent): FeedEvent => ({ ...event, cursor: 'c' });
    deliver(asFeed(events[1]!)); // already sent: dropped
    await backend.appendOutput({ id: job.id, leaseToken: claimed.leaseToken, chunks: ['a'] });
    await backend.complete({ items: [{ id: job.id, leaseToken: claimed.leaseToken, output: 'ok' }] });
    const all = (await log.jobEvents({ id: job.id }))!;
    deliver(asFeed(all[4]!)); // seq 5 while 4 was never handed over: a gap
    await sink.until(5);
    assert.deepEqual(
      sink.sent.map((s) => s.id),
      ['1', '2', '3', '4', '5'],
    );
    assert.equal(sink.ended, true, 'ended after job.succeeded');
  });

  test('a live event for a client whose buffer is over the bound cuts it', async () => {
    const { sluice, log } = await rig();
    const job = await sluice.enqueue({ type: 'echo', input: {} });
    const events = (await log.jobEvents({ id: job.id }))!;
    let deliver: (event: FeedEvent) => void = () => {};
    const hub = {
      watch: (_filter: unknown, handler: (event: FeedEvent) => void) => {
        deliver = handler;
        return { synced: Promise.resolve(), stop: () => {} };
      },
    } as unknown as EventHub;
    const sink = new RecordingSink();
    const stream = new JobStream(log, hub, sink, { id: job.id, tenant: undefined, after: 0 }, LIMITS);
    await stream.start(events);
    await new Promise((resolve) => setImmediate(resolve));
    sink.bufferedBytes = LIMITS.maxBufferedBytes + 1;
    deliver({ ...events[0]!, seq: 2, type: 'job.progress', cursor: 'c' });
    assert.equal(sink.cutFor, 'lagging');
    assert.deepEqual(
      sink.sent.map((s) => s.id),
      ['1'],
    );
  });
});
