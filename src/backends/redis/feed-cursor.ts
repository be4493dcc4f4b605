import { ValidationError } from '../../core/errors.js';

/**
 * The feed's cursor on Redis: the last stream id read in each queue's feed (a queue it does not name
 * is read from its oldest entry), as base64url of compact JSON with the queues in name order, e.g.
 * `{"default":"1796647950165-0","llm":"1796647950170-3"}`. Opaque to clients, and checked strictly:
 * anything this encoder could not have produced is a ValidationError naming `after`.
 */
export type FeedPositions = Map<string, string>;

const STREAM_ID = /^(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,19})$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function encodeFeedCursor(positions: FeedPositions): string {
  const sorted = [...positions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(Object.fromEntries(sorted))).toString('base64url');
}

export function parseFeedCursor(text: string): FeedPositions {
  const invalid = () => new ValidationError(`after: "${text.slice(0, 100)}" is not a cursor of this feed`, 'after');
  if (!BASE64URL.test(text)) throw invalid();
  const bytes = Buffer.from(text, 'base64url');
  // A canonical encoding only: base64url that decodes but re-encodes otherwise was not ours.
  if (bytes.toString('base64url') !== text) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid();
  const positions: FeedPositions = new Map();
  for (const [queue, id] of Object.entries(value)) {
    if (queue === '' || queue.includes('{') || queue.includes('}')) throw invalid();
    if (typeof id !== 'string' || !STREAM_ID.test(id)) throw invalid();
    positions.set(queue, id);
  }
  if (encodeFeedCursor(positions) !== text) throw invalid();
  return positions;
}
