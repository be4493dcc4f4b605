import type { SluiceEvents } from '../../core/events.js';
import type { Job } from '../../core/job.js';
import type { RedisClient } from './connection.js';

/** What a script publishes: origin handle, queue, and its events (see `events` in lua/prelude.lua). */
interface Message {
  o: string;
  q: string;
  e: Array<[string, ...Array<string | number>]>;
}

/**
 * Relays other handles' changes into this handle's `events`: the scripts publish one message per
 * call on the prefix's channel, and one subscriber connection per backend listens (started on demand,
 * see SluiceEvents.relayOnDemand: a handle nobody listens to receives nothing). Messages from this
 * handle itself are skipped (its events are emitted directly, with full payloads). `job:finished`
 * carries a Job, so finished ids are read back, and only while someone listens for them.
 * On a Redis Cluster the scripts' PUBLISH reaches every node over the cluster bus, and the subscriber
 * (an ioredis Cluster) listens on one of them.
 * Pub/sub is not durable: a message missed during a reconnect is covered by the worker's idle poll
 * and waitFor's re-read.
 *
 * A message's entries: `['e', count]` enqueued, `['r', id, seq]` back to waiting, `['c', id]`
 * cancelled while running, `['p', id, progress, seq]`, `['a', id, seq]` output appended,
 * `['z', paused]`, `['f', id, seq]` ended. `seq`, the newest event the change logged, is relayed as
 * `events:appended`; it rides the messages these changes publish anyway, so claims and enqueues
 * (which publish no per-job entry) are not relayed: a stream in another process learns of those at
 * its next read.
 */
export async function startEventRelay(options: {
  subscriber: RedisClient;
  channel: string;
  origin: string;
  events: SluiceEvents;
  fetchJobs: (queue: string, ids: string[]) => Promise<Job[]>;
}): Promise<() => Promise<void>> {
  const { subscriber, channel, origin, events, fetchJobs } = options;
  subscriber.on('error', () => undefined);
  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      return;
    }
    if (message.o === origin || !Array.isArray(message.e)) return;
    const queue = message.q;
    const finished: string[] = [];
    // The newest seq a change logged, where its message carries one (see the list above).
    const appended = (id: string, seq: string | number | undefined) => {
      if (seq !== undefined) events.emit('events:appended', { id, queue, seq: Number(seq), remote: true });
    };
    for (const [kind, a, b, c] of message.e) {
      switch (kind) {
        case 'e':
          events.emit('jobs:enqueued', { queue, count: Number(a), remote: true });
          break;
        case 'r':
          appended(String(a), b);
          events.emit('job:requeued', { id: String(a), queue });
          break;
        case 'c':
          events.emit('job:cancelled', { id: String(a) });
          break;
        case 'p':
          appended(String(a), c);
          events.emit('job:progress', { id: String(a), progress: parseOptional(b) });
          break;
        case 'a':
          appended(String(a), b);
          break;
        case 'z':
          events.emit('queue:paused', { queue, paused: String(a) === '1' });
          break;
        case 'f':
          appended(String(a), b);
          finished.push(String(a));
          break;
      }
    }
    // Rows are fetched only for listeners that take relayed jobs; the rest hear the ids.
    if (finished.length > 0 && events.remoteListenerCount('job:finished') > 0) {
      fetchJobs(queue, finished).then(
        (jobs) => {
          for (const job of jobs) events.emit('job:finished', { job, remote: true });
        },
        () => undefined, // the backend is closing or Redis is away: waitFor re-reads on its own
      );
    } else if (finished.length > 0) {
      events.emitEnded(finished, true);
    }
  });
  await subscriber.subscribe(channel);
  return async () => {
    try {
      await subscriber.quit();
    } catch {
      subscriber.disconnect();
    }
  };
}

function parseOptional(text: string | number | undefined): unknown {
  if (text === '' || text === undefined) return undefined;
  try {
    return JSON.parse(String(text));
  } catch {
    return undefined;
  }
}
