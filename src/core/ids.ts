import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';

/** A time-sortable job id (UUIDv7): ids sort in creation order, which list cursors rely on. */
export function newJobId(msecs?: number): string {
  return msecs === undefined ? uuidv7() : uuidv7({ msecs });
}

/** A fresh, unguessable lease token: the fencing token of one attempt. */
export function newLeaseToken(): string {
  return uuidv4();
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isJobId(value: string): boolean {
  return UUID_RE.test(value);
}
