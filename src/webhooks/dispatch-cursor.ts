import type { EventLogStore, RecordStore } from '../core/backend.js';
import { CURSOR_KEY, CURSOR_NS } from './records.js';

const CURSOR = { namespace: CURSOR_NS, key: CURSOR_KEY };

/** The dispatcher's place in the feed; undefined until webhooks are armed. */
export async function readDispatchCursor(records: Pick<RecordStore, 'getRecord'>): Promise<string | undefined> {
  return ((await records.getRecord(CURSOR)) as { cursor: string } | undefined)?.cursor;
}

export function saveDispatchCursor(records: Pick<RecordStore, 'putRecord'>, cursor: string): Promise<boolean> {
  return records.putRecord({ ...CURSOR, value: { cursor } });
}

/**
 * Creates the cursor at the feed's current end unless one exists (of racing processes, the first
 * wins): from then on every event is dispatched, whichever process reads it.
 */
export async function createDispatchCursor(backend: Pick<RecordStore, 'putRecord'> & Pick<EventLogStore, 'feed'>): Promise<void> {
  const end = await backend.feed({ limit: 0 });
  await backend.putRecord({ ...CURSOR, value: { cursor: end.cursor }, ifAbsent: true });
}
