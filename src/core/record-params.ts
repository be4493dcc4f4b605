import { ValidationError } from './errors.js';
import { badStringReason } from './json-bounds.js';
import { type ListRecordsParams, RECORD_NAME_MAX, RECORD_PAGE_LIMIT, type RecordKey } from './ports/record-store.js';

/**
 * The checks every record store adapter applies before it touches storage (ports/record-store.ts):
 * a namespace and key that every backend can hold as text, a TTL that is a positive whole number.
 * Throws ValidationError naming the field.
 */
export function checkRecordKey(params: RecordKey): void {
  checkName(params.namespace, 'namespace');
  checkName(params.key, 'key');
}

/** A TTL as the store applies it: undefined (no expiry) or whole positive milliseconds. */
export function checkTtl(ttlMs: number | undefined): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1)
    throw new ValidationError('ttlMs must be a positive whole number of ms', 'ttlMs');
  return ttlMs;
}

/** listRecords' page size: RECORD_PAGE_LIMIT when absent, never more. */
export function recordPageLimit(params: ListRecordsParams): number {
  checkName(params.namespace, 'namespace');
  if (params.after !== undefined) checkName(params.after, 'after', true);
  const limit = params.limit ?? RECORD_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 0) throw new ValidationError('limit must be a whole number ≥ 0', 'limit');
  return Math.min(limit, RECORD_PAGE_LIMIT);
}

/** Byte order of the UTF-8 forms (SQLite BINARY, PostgreSQL COLLATE "C"), for stores that sort in JS. */
export function compareRecordKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function checkName(value: string, field: string, mayBeEmpty = false): void {
  if (typeof value !== 'string' || (!mayBeEmpty && value.length === 0) || value.length > RECORD_NAME_MAX) {
    throw new ValidationError(`${field} must be a string of 1 to ${RECORD_NAME_MAX} characters`, field);
  }
  const reason = badStringReason(value);
  if (reason !== undefined) throw new ValidationError(`${field} ${reason}`, field);
}
