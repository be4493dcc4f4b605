import type { Clock } from '../../src/core/clock.js';
import type {
  ListRecordsParams,
  PutRecordParams,
  RecordKey,
  RecordStore,
  StoredRecord,
} from '../../src/core/ports/record-store.js';
import { checkRecordKey, checkTtl, compareRecordKeys, recordPageLimit } from '../../src/core/record-params.js';

interface Entry {
  /** The value as JSON text: what a store keeps, so callers never share an object with it. */
  json: string;
  expiresAt: number | undefined;
}

/** The record store role of the fake backend (ports/record-store.ts), on the injected clock. */
export class MemoryRecords implements RecordStore {
  private readonly namespaces = new Map<string, Map<string, Entry>>();

  constructor(private readonly clock: Clock) {}

  async putRecord(params: PutRecordParams): Promise<boolean> {
    checkRecordKey(params);
    const ttlMs = checkTtl(params.ttlMs);
    const json = JSON.stringify(params.value ?? null);
    if (params.ifAbsent && this.live(params) !== undefined) return false;
    let records = this.namespaces.get(params.namespace);
    if (!records) {
      records = new Map();
      this.namespaces.set(params.namespace, records);
    }
    records.set(params.key, { json, expiresAt: ttlMs === undefined ? undefined : this.clock.now() + ttlMs });
    return true;
  }

  async getRecord(params: RecordKey): Promise<unknown> {
    checkRecordKey(params);
    const entry = this.live(params);
    return entry === undefined ? undefined : JSON.parse(entry.json);
  }

  async listRecords(params: ListRecordsParams): Promise<StoredRecord[]> {
    const limit = recordPageLimit(params);
    const now = this.clock.now();
    const records = [...(this.namespaces.get(params.namespace) ?? new Map<string, Entry>())]
      .filter(([key, entry]) => !expired(entry, now) && (params.after === undefined || compareRecordKeys(key, params.after) > 0))
      .sort(([a], [b]) => compareRecordKeys(a, b));
    return records.slice(0, limit).map(([key, entry]) => ({ key, value: JSON.parse(entry.json) }));
  }

  async deleteRecord(params: RecordKey): Promise<boolean> {
    checkRecordKey(params);
    const existed = this.live(params) !== undefined;
    this.namespaces.get(params.namespace)?.delete(params.key);
    return existed;
  }

  async purgeExpiredRecords(params: { limit?: number | undefined } = {}): Promise<number> {
    let budget = params.limit ?? Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    let deleted = 0;
    for (const records of this.namespaces.values()) {
      for (const [key, entry] of records) {
        if (budget <= 0) return deleted;
        if (!expired(entry, now)) continue;
        records.delete(key);
        deleted++;
        budget--;
      }
    }
    return deleted;
  }

  private live(params: RecordKey): Entry | undefined {
    const entry = this.namespaces.get(params.namespace)?.get(params.key);
    return entry === undefined || expired(entry, this.clock.now()) ? undefined : entry;
  }
}

function expired(entry: Entry, now: number): boolean {
  return entry.expiresAt !== undefined && entry.expiresAt <= now;
}
