import type { FeedPositions } from './feed-cursor.js';

/** One event as a queue's feed read answers it (lua/feed-read.lua), before it is parsed. */
export interface StreamEvent {
  queue: string;
  /** Its entry's id in the queue's stream. */
  streamId: string;
  /** Its feed order (feed-order.ts). */
  order: number;
  jobId: string;
  seq: number;
  tenant: string | undefined;
  json: string;
}

/** A read of one queue's feed: the matching events after `after`, oldest first. */
export interface QueueRead {
  events: StreamEvent[];
  /** The last entry examined (matching or not), when any was. */
  lastExamined: string | undefined;
  /** The stream's end was reached: nothing more to read now. */
  ended: boolean;
}

export interface QueueReadRequest {
  queue: string;
  /** Read after this stream id; undefined: from the oldest entry. */
  after: string | undefined;
  want: number;
}

/** Reads several queues' feeds in one round trip. */
export type ReadQueues = (requests: QueueReadRequest[]) => Promise<QueueRead[]>;

/** Fewest events asked of one queue per read. */
const MIN_WANT = 16;

interface QueueState {
  queue: string;
  /** Where the next read of this queue starts. */
  scanFrom: string | undefined;
  buffered: StreamEvent[];
  ended: boolean;
}

/**
 * One page of the feed over several queues: a k-way merge of their streams by feed order (ties by
 * queue name), each stream consumed in its own order. Queues are read in rounds, each queue asked
 * for about its share of what is still wanted; one whose buffer ran dry is read again before the
 * next pick, so the merge always compares every queue's next event. At most `maxRounds` rounds.
 *
 * `onTake` is called for each event taken with the positions right after it (each event's own
 * cursor). A queue's position is its last event taken, or, once everything it answered was taken,
 * the last entry it examined: the cursor moves past entries the filters left out or whose job is
 * gone. Returns the positions after the page.
 */
export async function mergeFeed(options: {
  queues: readonly string[];
  positions: FeedPositions;
  limit: number;
  maxRounds: number;
  read: ReadQueues;
  onTake: (event: StreamEvent, positions: FeedPositions) => void;
}): Promise<FeedPositions> {
  const { limit, read, onTake } = options;
  const positions: FeedPositions = new Map(options.positions);
  const states: QueueState[] = options.queues.map((queue) => ({
    queue,
    scanFrom: positions.get(queue),
    buffered: [],
    ended: false,
  }));
  let taken = 0;
  let rounds = 0;
  while (taken < limit) {
    const dry = states.filter((s) => s.buffered.length === 0 && !s.ended);
    if (dry.length > 0 && rounds < options.maxRounds) {
      rounds++;
      const wanted = limit - taken;
      const active = states.filter((s) => s.buffered.length > 0 || !s.ended).length;
      const want = Math.min(wanted, Math.max(MIN_WANT, Math.ceil((2 * wanted) / active)));
      const replies = await read(dry.map((s) => ({ queue: s.queue, after: s.scanFrom, want })));
      dry.forEach((state, i) => {
        const reply = replies[i]!;
        state.buffered = reply.events;
        state.ended = reply.ended;
        if (reply.lastExamined !== undefined) {
          state.scanFrom = reply.lastExamined;
          if (reply.events.length === 0) positions.set(state.queue, reply.lastExamined);
        }
      });
      continue;
    }
    let next: QueueState | undefined;
    for (const state of states) {
      const head = state.buffered[0];
      if (head === undefined) continue;
      const best = next?.buffered[0];
      if (best === undefined || head.order < best.order || (head.order === best.order && state.queue < next!.queue)) {
        next = state;
      }
    }
    if (next === undefined) break;
    const event = next.buffered.shift()!;
    taken++;
    positions.set(next.queue, next.buffered.length === 0 && next.scanFrom !== undefined ? next.scanFrom : event.streamId);
    onTake(event, new Map(positions));
  }
  return positions;
}
