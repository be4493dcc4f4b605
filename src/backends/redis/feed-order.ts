/**
 * The feed's order across queues. Each queue's feed is a stream of its own (one Cluster slot), and
 * a stream id orders one queue only: ids of different streams come from different clocks (masters)
 * and tie within a millisecond. So every event also carries a feed order: a number this process
 * hands out, increasing, microseconds of its wall clock (exact doubles up to 2^53, year 2255),
 * shared by every handle in the process. A read merges the queues' streams by it (feed-merge.ts).
 * One call's events share one order; a bulk enqueue reserves one per job, so its jobs' events come
 * out in the order the batch gave them even when its queues live on several masters.
 *
 * Only the presentation of a page depends on it: each stream is still read in its own order, and
 * the cursor holds a stream id per queue, so no event is skipped or read twice whatever the clocks
 * of the processes that wrote them.
 */
let last = 0;

/** The first of `count` consecutive feed orders (count >= 1), after every one handed out before. */
export function reserveFeedOrder(count = 1): number {
  const first = Math.max(Date.now() * 1000, last + 1);
  last = first + Math.max(1, count) - 1;
  return first;
}
