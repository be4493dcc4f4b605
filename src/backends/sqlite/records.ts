import type Database from 'better-sqlite3';
import type { Clock } from '../../core/clock.js';
import type { ListRecordsParams, PutRecordParams, RecordKey, RecordStore, StoredRecord } from '../../core/ports/record-store.js';
import { checkRecordKey, checkTtl, recordPageLimit } from '../../core/record-params.js';
import { NO_LIMIT } from './sql/common.js';
import * as sql from './sql/records.js';

/** How the role runs its statements: the backend's IMMEDIATE write transaction, and its guard
 * (refuses a closed backend, translates driver errors). */
export interface SqliteAccess {
  write<T>(fn: () => T): T;
  guard<T>(fn: () => T): T;
}

/** Expired records one purgeExpiredRecords call deletes when the caller names no limit: each call
 * holds the write lock, so a backlog is freed in several short calls rather than one long one. */
export const RECORD_PURGE_BATCH = 5_000;

interface RecordArgs {
  namespace: string;
  key: string;
}

interface ListArgs {
  namespace: string;
  after: string;
  now: number;
  limit: number;
}

interface RecordRow {
  key: string;
  value: string;
}

interface PutArgs extends RecordArgs {
  value: string;
  expiresAt: number | null;
}

/**
 * The record store on the `records` table (schema migration 6). Input is checked and the value
 * serialised before any statement runs, so a bad call changes nothing and fails as on every
 * backend. Time is the backend's clock, read inside the write transaction (a wait for the write
 * lock does not shorten a TTL). Expired rows stay until purged but no read or ifAbsent sees them.
 */
export class SqliteRecords implements RecordStore {
  private readonly put: Database.Statement<[PutArgs], void>;
  private readonly putIfAbsent: Database.Statement<[PutArgs & { now: number }], void>;
  private readonly get: Database.Statement<[RecordArgs & { now: number }], string>;
  private readonly list: Database.Statement<[ListArgs], RecordRow>;
  private readonly remove: Database.Statement<[RecordArgs & { now: number }], number>;
  private readonly purge: Database.Statement<[{ now: number; limit: number }], void>;

  constructor(
    db: Database.Database,
    private readonly clock: Clock,
    private readonly access: SqliteAccess,
  ) {
    this.put = db.prepare<[PutArgs], void>(sql.RECORD_PUT);
    this.putIfAbsent = db.prepare<[PutArgs & { now: number }], void>(sql.RECORD_PUT_IF_ABSENT);
    this.get = db.prepare<[RecordArgs & { now: number }], string>(sql.RECORD_GET).pluck();
    this.list = db.prepare<[ListArgs], RecordRow>(sql.RECORD_LIST);
    this.remove = db.prepare<[RecordArgs & { now: number }], number>(sql.RECORD_DELETE).pluck();
    this.purge = db.prepare<[{ now: number; limit: number }], void>(sql.RECORD_PURGE_EXPIRED);
  }

  async putRecord(params: PutRecordParams): Promise<boolean> {
    checkRecordKey(params);
    const ttlMs = checkTtl(params.ttlMs);
    const value = JSON.stringify(params.value ?? null);
    const { namespace, key } = params;
    return this.access.write(() => {
      const now = this.clock.now();
      const args: PutArgs = { namespace, key, value, expiresAt: ttlMs === undefined ? null : now + ttlMs };
      if (!params.ifAbsent) {
        this.put.run(args);
        return true;
      }
      return this.putIfAbsent.run({ ...args, now }).changes > 0;
    });
  }

  async getRecord(params: RecordKey): Promise<unknown> {
    checkRecordKey(params);
    const { namespace, key } = params;
    const json = this.access.guard(() => this.get.get({ namespace, key, now: this.clock.now() }));
    return json === undefined ? undefined : JSON.parse(json);
  }

  async listRecords(params: ListRecordsParams): Promise<StoredRecord[]> {
    const limit = recordPageLimit(params);
    const args = { namespace: params.namespace, after: params.after ?? '', limit };
    const rows = this.access.guard(() => this.list.all({ ...args, now: this.clock.now() }));
    return rows.map((row) => ({ key: row.key, value: JSON.parse(row.value) }));
  }

  async deleteRecord(params: RecordKey): Promise<boolean> {
    checkRecordKey(params);
    const { namespace, key } = params;
    return this.access.write(() => this.remove.get({ namespace, key, now: this.clock.now() }) === 1);
  }

  async purgeExpiredRecords(params: { limit?: number | undefined } = {}): Promise<number> {
    const limit = purgeLimit(params.limit);
    if (limit === 0) return 0;
    return this.access.write(() => this.purge.run({ now: this.clock.now(), limit }).changes);
  }
}

/** The LIMIT of a purge: RECORD_PURGE_BATCH when absent, none for Infinity, 0 for anything not positive. */
function purgeLimit(limit: number = RECORD_PURGE_BATCH): number {
  if (limit === Number.POSITIVE_INFINITY) return NO_LIMIT;
  return Number.isFinite(limit) && limit > 0 ? Math.floor(limit) : 0;
}
