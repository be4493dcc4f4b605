/**
 * The record store role (declared by `capabilities.records`): small durable JSON documents by
 * namespace and key, for the state that features keep beside jobs — webhook endpoints, signing
 * secrets, deliveries, a dispatcher's feed cursor — so that each feature needs no table or key
 * layout of its own in every adapter. The adapter stores and expires; the feature decides.
 *
 * A namespace is meant to stay small (a tenant's endpoints, one job's deliveries): `listRecords`
 * reads it in key order, a page at a time. Time (`ttlMs`) is the backend's clock.
 */
export interface RecordStore {
  /** Writes one record; false when `ifAbsent` and a live record is already there (nothing written). */
  putRecord(params: PutRecordParams): Promise<boolean>;
  /** The live record's value; undefined when there is none (never written, deleted or expired). */
  getRecord(params: RecordKey): Promise<unknown>;
  /** The namespace's live records in key order (byte order of the UTF-8 keys), after `after`. */
  listRecords(params: ListRecordsParams): Promise<StoredRecord[]>;
  /** Deletes one record; false when there was no live record. */
  deleteRecord(params: RecordKey): Promise<boolean>;
  /**
   * Deletes up to `limit` records whose time has passed (the retention sweeper calls it) and says
   * how many. An expired record is already invisible to reads; this only frees its space, and a
   * backend that expires by itself (Redis key TTLs) may report 0.
   */
  purgeExpiredRecords(params?: { limit?: number | undefined }): Promise<number>;
}

export interface RecordKey {
  namespace: string;
  key: string;
}

export interface PutRecordParams extends RecordKey {
  /** Any JSON value. */
  value: unknown;
  /** Write only when no live record has this key. */
  ifAbsent?: boolean | undefined;
  /** The record expires this long after the write (backend clock); absent: it stays until deleted. */
  ttlMs?: number | undefined;
}

export interface ListRecordsParams {
  namespace: string;
  /** Only keys greater than this one (the last key of the previous page). */
  after?: string | undefined;
  /** At most this many (default and cap RECORD_PAGE_LIMIT). */
  limit?: number | undefined;
}

export interface StoredRecord {
  key: string;
  value: unknown;
}

/** Most records one listRecords call returns. */
export const RECORD_PAGE_LIMIT = 1_000;

/** Longest namespace and key, in UTF-16 code units (what callers build from ids and tenants). */
export const RECORD_NAME_MAX = 512;
