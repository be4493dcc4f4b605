import type { Clock } from '../../core/clock.js';
import type { ListRecordsParams, PutRecordParams, RecordKey, RecordStore, StoredRecord } from '../../core/ports/record-store.js';
import { checkRecordKey, checkTtl, compareRecordKeys, recordPageLimit } from '../../core/record-params.js';
import type { RedisClient } from './connection.js';
import type { RedisKeys } from './keys.js';
import type { ScriptName } from './lua.js';

type ScriptFn = (key: string, ...args: Array<string | number>) => Promise<unknown>;

/** Runs one call against Redis: refuses on a closed backend and translates driver errors. */
export type RedisGuard = <T>(fn: () => Promise<T>) => Promise<T>;

/** A record as a record script stores and returns it (lua/record-prelude.lua): the value under `v`. */
interface StoredDoc {
  v: unknown;
}

/**
 * The record store role on Redis (ports/record-store.ts): one hash per namespace, `{p/rec/<ns>}`
 * (a slot of its own, so it works on a Cluster), field = record key, value = JSON text carrying
 * the expiry and the value. Every call is one script on that key, with the Redis server's clock
 * (TIME) unless a clock is injected: reads skip expired records, the writes that depend on what is
 * there (ifAbsent, replacing an expired record, delete saying whether it was live) are atomic.
 *
 * Redis 7.0 has no per-field TTL, so the key itself expires with its latest record while every
 * record has a TTL: a namespace of expiring records (one job's deliveries) frees itself.
 * purgeExpiredRecords frees nothing and reports 0 (the port allows it): finding expired records in
 * namespaces that also hold lasting ones would mean scanning the whole keyspace. Their space is
 * freed when the namespace's last lasting record is deleted or given a TTL (docs/redis.md, "Records").
 */
export class RedisRecords implements RecordStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly clock: Clock | undefined,
    private readonly guard: RedisGuard,
  ) {}

  async putRecord(params: PutRecordParams): Promise<boolean> {
    checkRecordKey(params);
    const ttlMs = checkTtl(params.ttlMs);
    const json = JSON.stringify(params.value ?? null);
    const reply = await this.call(
      'sluiceRecordPut',
      params.namespace,
      params.key,
      json,
      ttlMs ?? '',
      params.ifAbsent ? '1' : '0',
    );
    return Number(reply) === 1;
  }

  async getRecord(params: RecordKey): Promise<unknown> {
    checkRecordKey(params);
    const doc = (await this.call('sluiceRecordGet', params.namespace, params.key)) as string | null;
    return doc === null ? undefined : recordValue(doc);
  }

  async listRecords(params: ListRecordsParams): Promise<StoredRecord[]> {
    const limit = recordPageLimit(params);
    // HGETALL in the script: a namespace is small by contract, and Redis has no byte order to page by.
    const flat = (await this.call('sluiceRecordList', params.namespace)) as string[];
    const after = params.after;
    const live: Array<[string, string]> = [];
    for (let i = 0; i < flat.length; i += 2) {
      const key = flat[i]!;
      if (after === undefined || compareRecordKeys(key, after) > 0) live.push([key, flat[i + 1]!]);
    }
    live.sort(([a], [b]) => compareRecordKeys(a, b));
    return live.slice(0, limit).map(([key, doc]) => ({ key, value: recordValue(doc) }));
  }

  async deleteRecord(params: RecordKey): Promise<boolean> {
    checkRecordKey(params);
    return Number(await this.call('sluiceRecordDelete', params.namespace, params.key)) === 1;
  }

  /** 0: expired records are freed by their key's TTL or by the namespace's writes (see the class comment). */
  async purgeExpiredRecords(): Promise<number> {
    return this.guard(async () => 0);
  }

  private call(name: ScriptName, namespace: string, ...args: Array<string | number>): Promise<unknown> {
    const fn = (this.redis as unknown as Record<ScriptName, ScriptFn>)[name];
    const now = this.clock === undefined ? '' : this.clock.now();
    return this.guard(() => fn.call(this.redis, this.keys.records(namespace), now, ...args));
  }
}

function recordValue(doc: string): unknown {
  return (JSON.parse(doc) as StoredDoc).v;
}
