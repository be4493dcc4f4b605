/**
 * The wire form of events relayed between processes over NOTIFY. PostgreSQL caps a payload below
 * 8000 bytes, so entries carry ids, not jobs: a receiver that has `job:finished` listeners reads the
 * finished jobs back in one query.
 */
export type WireEvent =
  /** jobs:enqueued */
  | ['e', queue: string, count: number]
  /** job:requeued */
  | ['r', id: string, queue: string]
  /** job:finished (the receiver reads the job) */
  | ['f', id: string]
  /** job:cancelled */
  | ['c', id: string]
  /** job:progress; progress left out when too large (the receiver reads it) */
  | ['p', id: string, progress?: unknown]
  /** queue:paused */
  | ['q', queue: string, paused: boolean]
  /** events:appended, sent only by a transactional enqueue to its own handle (which emits it once the
   * caller commits); other handles skip it, as `events:appended` is a local event */
  | ['a', id: string, queue: string, seq: number];

export interface WireMessage {
  /** Origin: the sending backend handle (its own messages are skipped, it emitted them already);
   * `*` + origin when every handle, the sender's too, should emit (transactional enqueue). */
  o: string;
  v: WireEvent[];
}

/** Stay well below PostgreSQL's 8000-byte limit. */
export const MAX_PAYLOAD_BYTES = 7500;

/** Progress larger than this travels by id only. */
export const MAX_INLINE_PROGRESS_BYTES = 2000;

/** Packs events into as few messages as fit the payload limit, in order. */
export function encodeMessages(origin: string, events: WireEvent[]): string[] {
  const head = `{"o":${JSON.stringify(origin)},"v":[`;
  const messages: string[] = [];
  let parts: string[] = [];
  let size = head.length + 2;
  for (const event of events) {
    let text = JSON.stringify(event);
    if (Buffer.byteLength(text) + head.length + 2 > MAX_PAYLOAD_BYTES) {
      // Only progress can be this large: send the id and let the receiver read it.
      text = JSON.stringify([event[0], event[1]]);
    }
    const bytes = Buffer.byteLength(text) + 1;
    if (parts.length > 0 && size + bytes > MAX_PAYLOAD_BYTES) {
      messages.push(`${head}${parts.join(',')}]}`);
      parts = [];
      size = head.length + 2;
    }
    parts.push(text);
    size += bytes;
  }
  if (parts.length > 0) messages.push(`${head}${parts.join(',')}]}`);
  return messages;
}

/** Parses a payload; anything malformed (another program on the channel) yields undefined. */
export function decodeMessage(payload: string | undefined): WireMessage | undefined {
  if (payload === undefined) return undefined;
  try {
    const message = JSON.parse(payload) as WireMessage;
    return typeof message.o === 'string' && Array.isArray(message.v) ? message : undefined;
  } catch {
    return undefined;
  }
}

/** Adds up jobs:enqueued counts per queue so that a burst of enqueues travels as one entry each. */
export function coalesce(events: WireEvent[]): WireEvent[] {
  const counts = new Map<string, ['e', string, number]>();
  const out: WireEvent[] = [];
  for (const event of events) {
    if (event[0] === 'e') {
      const seen = counts.get(event[1]);
      if (seen) seen[2] += event[2];
      else {
        const entry: ['e', string, number] = ['e', event[1], event[2]];
        counts.set(event[1], entry);
        out.push(entry);
      }
    } else {
      out.push(event);
    }
  }
  return out;
}
