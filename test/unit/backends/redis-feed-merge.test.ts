import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FeedPositions } from '../../../src/backends/redis/feed-cursor.js';
import { mergeFeed, type QueueRead, type QueueReadRequest, type StreamEvent } from '../../../src/backends/redis/feed-merge.js';

/** In-memory queue streams read as lua/feed-read.lua reads them: after an id, up to `want` matches, `budget` entries. */
function fakeStreams(streams: Record<string, Array<[order: number, match?: boolean]>>, budget = 1000) {
  const entries = new Map(
    Object.entries(streams).map(([queue, list]) => [
      queue,
      list.map(([order, match = true], i) => ({
        event: { queue, streamId: `${i + 1}-0`, order, jobId: `${queue}${i + 1}`, seq: 1, tenant: undefined, json: '{}' },
        match,
      })),
    ]),
  );
  const reads: QueueReadRequest[][] = [];
  const read = async (requests: QueueReadRequest[]): Promise<QueueRead[]> => {
    reads.push(requests);
    return requests.map(({ queue, after, want }) => {
      const list = entries.get(queue) ?? [];
      let i = after === undefined ? 0 : list.findIndex((e) => e.event.streamId === after) + 1;
      const events: StreamEvent[] = [];
      let lastExamined: string | undefined;
      let examined = 0;
      while (i < list.length && events.length < want && examined < budget) {
        const entry = list[i++]!;
        examined++;
        lastExamined = entry.event.streamId;
        if (entry.match) events.push(entry.event);
      }
      return { events, lastExamined, ended: i >= list.length };
    });
  };
  return { read, reads };
}

async function page(read: ReturnType<typeof fakeStreams>['read'], queues: string[], positions: FeedPositions, limit: number) {
  const taken: Array<{ event: StreamEvent; at: FeedPositions }> = [];
  const next = await mergeFeed({
    queues,
    positions,
    limit,
    maxRounds: 8,
    read,
    onTake: (event, at) => taken.push({ event, at }),
  });
  return { taken, next };
}

describe('the feed merge over queue streams', () => {
  test('merges by feed order, ties by queue name, each stream in its own order', async () => {
    // b's writer had a clock behind: its orders go down; the stream's own order still rules.
    const { read } = fakeStreams({ a: [[10], [30], [50]], b: [[40], [20]], c: [[10]] });
    const { taken, next } = await page(read, ['a', 'b', 'c'], new Map(), 10);
    assert.deepEqual(
      taken.map((t) => t.event.jobId),
      ['a1', 'c1', 'a2', 'b1', 'b2', 'a3'],
    );
    assert.deepEqual([...next].sort(), [
      ['a', '3-0'],
      ['b', '2-0'],
      ['c', '1-0'],
    ]);
  });

  test('page by page, or from any event own positions, every event is read once', async () => {
    const { read } = fakeStreams({
      a: [[1], [4], [4], [9], [12]],
      b: [[2], [3], [11]],
      c: [[5], [6], [7], [8], [10], [13]],
    });
    const whole = (await page(read, ['a', 'b', 'c'], new Map(), 100)).taken.map((t) => t.event.jobId);
    assert.equal(whole.length, 14);
    for (const limit of [1, 2, 3, 5]) {
      const seen: string[] = [];
      let positions: FeedPositions = new Map();
      for (;;) {
        const { taken, next } = await page(read, ['a', 'b', 'c'], positions, limit);
        if (taken.length === 0) break;
        seen.push(...taken.map((t) => t.event.jobId));
        positions = next;
      }
      assert.deepEqual(seen, whole, `pages of ${limit}`);
    }
    const { taken } = await page(read, ['a', 'b', 'c'], new Map(), 100);
    for (const [i, { at }] of taken.entries()) {
      const rest = (await page(read, ['a', 'b', 'c'], at, 100)).taken.map((t) => t.event.jobId);
      assert.deepEqual(rest, whole.slice(i + 1), `after event ${i}`);
    }
  });

  test('the positions pass entries the filters left out, and a queue with no match moves too', async () => {
    const { read } = fakeStreams({
      a: [[1], [2, false], [3, false]],
      b: [
        [4, false],
        [5, false],
      ],
    });
    const { taken, next } = await page(read, ['a', 'b'], new Map(), 10);
    assert.deepEqual(
      taken.map((t) => t.event.jobId),
      ['a1'],
    );
    assert.deepEqual([...taken[0]!.at].sort(), [
      ['a', '3-0'],
      ['b', '2-0'],
    ]);
    assert.deepEqual([...next].sort(), [
      ['a', '3-0'],
      ['b', '2-0'],
    ]);
  });

  test('a queue not in the positions is read from its start; others keep theirs', async () => {
    const { read } = fakeStreams({ a: [[1], [2]], b: [[3]] });
    const { taken, next } = await page(read, ['b'], new Map([['a', '1-0']]), 10);
    assert.deepEqual(
      taken.map((t) => t.event.jobId),
      ['b1'],
    );
    assert.deepEqual([...next].sort(), [
      ['a', '1-0'],
      ['b', '1-0'],
    ]);
  });

  test('reads are bounded by rounds: a page over a long filtered stretch stops with its positions moved', async () => {
    const stretch: Array<[number, boolean]> = Array.from({ length: 100 }, (_, i) => [i, false]);
    const { read, reads } = fakeStreams({ a: [...stretch, [1000, true]] }, 5);
    const { taken, next } = await page(read, ['a'], new Map(), 10);
    assert.deepEqual(taken, []);
    assert.equal(reads.length, 8);
    assert.deepEqual([...next], [['a', '40-0']]);
  });

  test('each queue is asked for about its share of what is still wanted', async () => {
    const many = Array.from({ length: 50 }, (_, i): [number] => [i]);
    const { read, reads } = fakeStreams({ a: many, b: many, c: many, d: many });
    await page(read, ['a', 'b', 'c', 'd'], new Map(), 100);
    assert.deepEqual(
      reads[0]!.map((r) => r.want),
      [50, 50, 50, 50],
    );
    const small = await page(read, ['a', 'b', 'c', 'd'], new Map(), 8);
    assert.equal(small.taken.length, 8);
    assert.deepEqual(
      reads.at(-1)!.map((r) => r.want),
      [8, 8, 8, 8],
    );
  });
});
