import type pg from 'pg';
import type { ListRecordsParams, PutRecordParams, RecordKey, RecordStore, StoredRecord } from '../../core/ports/record-store.js';
import { checkRecordKey, checkTtl, recordPageLimit } from '../../core/record-params.js';
import type { Statement } from './sql/common.js';
import type { RecordStatements } from './sql/records.js';

/**
 * Runs a named statement with `$1` = the adapter's now and `values` as `$2…`, through its ordinary
 * path: the pool's bounds, and driver errors translated.
 */
export type RunStatement = <R extends pg.QueryResultRow>(statement: Statement, values: unknown[]) => Promise<pg.QueryResult<R>>;

/** Expired records deleted per statement, so that a purge of any size stays within the ordinary bound. */
export const RECORD_PURGE_BATCH = 5_000;

/**
 * The record store role on PostgreSQL (ports/record-store.ts; SQL in sql/records.ts): one
 * statement per call, on the adapter's clock. Input is checked before any statement is sent, so bad
 * input is the same ValidationError on every backend.
 */
export class PostgresRecords implements RecordStore {
  constructor(
    private readonly sql: RecordStatements,
    private readonly run: RunStatement,
  ) {}

  async putRecord(params: PutRecordParams): Promise<boolean> {
    checkRecordKey(params);
    const ttlMs = checkTtl(params.ttlMs);
    const { rows } = await this.run<{ wrote: boolean }>(this.sql.recordPut, [
      params.namespace,
      params.key,
      JSON.stringify(params.value ?? null),
      ttlMs ?? null,
      params.ifAbsent === true,
    ]);
    return rows.length > 0;
  }

  async getRecord(params: RecordKey): Promise<unknown> {
    checkRecordKey(params);
    // JSON columns come back as text (connection.ts).
    const { rows } = await this.run<{ value: string }>(this.sql.recordGet, [params.namespace, params.key]);
    const row = rows[0];
    return row === undefined ? undefined : JSON.parse(row.value);
  }

  async listRecords(params: ListRecordsParams): Promise<StoredRecord[]> {
    const limit = recordPageLimit(params);
    if (limit === 0) return [];
    const { rows } = await this.run<{ key: string; value: string }>(this.sql.recordList, [
      params.namespace,
      params.after ?? '',
      limit,
    ]);
    return rows.map((row) => ({ key: row.key, value: JSON.parse(row.value) }));
  }

  async deleteRecord(params: RecordKey): Promise<boolean> {
    checkRecordKey(params);
    const { rows } = await this.run<{ live: boolean }>(this.sql.recordDelete, [params.namespace, params.key]);
    return rows[0]?.live === true;
  }

  /** Up to `limit` (absent: all), in statements of at most RECORD_PURGE_BATCH rows each. */
  async purgeExpiredRecords(params: { limit?: number | undefined } = {}): Promise<number> {
    let budget = params.limit === undefined ? Number.POSITIVE_INFINITY : Math.floor(params.limit);
    let deleted = 0;
    for (;;) {
      const take = Math.min(budget, RECORD_PURGE_BATCH);
      if (!(take > 0)) return deleted;
      const { rows } = await this.run<{ deleted: number }>(this.sql.recordPurge, [take]);
      const count = rows[0]?.deleted ?? 0;
      deleted += count;
      budget -= count;
      if (count < take) return deleted;
    }
  }
}
