import { ValidationError } from '../../core/errors.js';

/**
 * A position in the PostgreSQL feed: the id of the transaction that appended the event (xid8) and
 * the event's pos (its identity). The cursor text is `"xid:pos"`, both decimal. `pos` 0 (never
 * taken) makes a position before every event of its transaction: `"H:0"` is the horizon itself.
 */
export interface FeedPosition {
  xid: bigint;
  pos: bigint;
}

/** Before every event. */
export const FEED_START: FeedPosition = { xid: 0n, pos: 0n };

const CURSOR_RE = /^(0|[1-9][0-9]{0,19}):(0|[1-9][0-9]{0,18})$/;
const MAX_XID8 = 2n ** 64n - 1n;
const MAX_BIGINT = 2n ** 63n - 1n;

/** Reads a cursor this adapter handed out; anything else is a ValidationError naming `after`. */
export function parseFeedCursor(text: string): FeedPosition {
  const match = CURSOR_RE.exec(text);
  const position = match ? { xid: BigInt(match[1]!), pos: BigInt(match[2]!) } : undefined;
  if (!position || position.xid > MAX_XID8 || position.pos > MAX_BIGINT) {
    throw new ValidationError(`after: "${text}" is not a cursor of this feed`, 'after');
  }
  return position;
}

export function formatFeedCursor(position: FeedPosition): string {
  return `${position.xid}:${position.pos}`;
}

/** The later of two positions. */
export function laterOf(a: FeedPosition, b: FeedPosition): FeedPosition {
  return a.xid > b.xid || (a.xid === b.xid && a.pos >= b.pos) ? a : b;
}
