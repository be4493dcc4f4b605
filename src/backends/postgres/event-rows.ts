import type { FeedEvent, FeedPage, JobEvent, JobEventType } from '../../core/ports/event-log.js';
import { type FeedPosition, formatFeedCursor, laterOf } from './feed-cursor.js';

/** A job_events row as the adapter's pool reads it (bigint as numbers, JSON as its text). */
export interface EventRow {
  job_id: string;
  seq: number;
  type: string;
  at: number;
  attempt: number | null;
  data: string | null;
  queue: string;
  tenant: string | null;
}

/** Row -> JobEvent; NULL columns are absent fields. */
export function rowToJobEvent(row: EventRow): JobEvent {
  const event: JobEvent = { seq: row.seq, jobId: row.job_id, type: row.type as JobEventType, at: row.at, queue: row.queue };
  if (row.attempt !== null) event.attempt = row.attempt;
  if (row.data !== null) event.data = JSON.parse(row.data);
  if (row.tenant !== null) event.tenant = row.tenant;
  return event;
}

/** A row of the feed statement: the page's facts, and one matched event (NULL event columns when none). */
export type FeedRow = { [K in keyof EventRow]: EventRow[K] | null } & {
  horizon: string;
  bound_xid: string | null;
  bound_pos: number | null;
  held: boolean;
  xid: string | null;
  pos: number | null;
};

/**
 * The page the feed statement's rows make, and whether to read again. The cursor is past the last
 * event returned when the page is full; else past the last event scanned when the scan stopped at
 * its bound; else at the horizon (every event below it was scanned). `heldBack`: the page could
 * have held more, but committed events wait beyond the horizon, behind a transaction still open.
 */
export function feedPageFrom(
  rows: readonly FeedRow[],
  after: FeedPosition,
  limit: number,
): { page: FeedPage; heldBack: boolean } {
  const facts = rows[0];
  if (!facts) throw new Error('the feed statement returned no row');
  const events: FeedEvent[] = [];
  let last: FeedPosition | undefined;
  for (const row of rows) {
    if (row.xid === null || row.pos === null || row.job_id === null) continue;
    last = { xid: BigInt(row.xid), pos: BigInt(row.pos) };
    events.push({ ...rowToJobEvent(row as EventRow), cursor: formatFeedCursor(last) });
  }
  if (last && events.length >= limit) return { page: { events, cursor: formatFeedCursor(last) }, heldBack: false };
  if (facts.bound_xid !== null && facts.bound_pos !== null) {
    const bound = { xid: BigInt(facts.bound_xid), pos: BigInt(facts.bound_pos) };
    return { page: { events, cursor: formatFeedCursor(bound) }, heldBack: false };
  }
  const horizon = { xid: BigInt(facts.horizon), pos: 0n };
  return { page: { events, cursor: formatFeedCursor(laterOf(after, horizon)) }, heldBack: facts.held === true };
}
