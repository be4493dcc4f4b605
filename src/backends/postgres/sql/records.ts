import { NOW, type SchemaSql } from './common.js';

/**
 * The statements of the record store role (ports/record-store.ts), for one schema. Each takes the
 * clock as `$1` (see NOW), as the job statements do: a TTL counts on the same clock as leases, and
 * a test's injected clock expires records as it expires leases.
 */
export function recordStatements(t: SchemaSql) {
  /** A record that has not expired: no TTL, or its time is still ahead. */
  const live = (c: string) => `(${c}expires_at IS NULL OR ${c}expires_at > ${NOW})`;
  return {
    /**
     * Writes one record, returning a row when it wrote. With `ifAbsent` the update applies only
     * over an expired record; ON CONFLICT locks the existing row and judges its newest version, so
     * of racing writers exactly one finds the key free. $2 namespace, $3 key, $4 value (JSON
     * text), $5 TTL ms (NULL: no expiry), $6 ifAbsent.
     */
    recordPut: t.named(
      'record_put',
      `INSERT INTO ${t.records} AS r (namespace, key, value, expires_at)
       VALUES ($2::text, $3::text, $4::json, ${NOW} + $5::bigint)
       ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
         WHERE NOT $6::boolean OR r.expires_at <= ${NOW}
       RETURNING true AS wrote`,
    ),
    /** The live record's value. $2 namespace, $3 key. */
    recordGet: t.named(
      'record_get',
      `SELECT value FROM ${t.records} WHERE namespace = $2::text AND key = $3::text AND ${live('')}`,
    ),
    /**
     * A page of a namespace's live records in key order (the columns' "C" collation: UTF-8 byte
     * order). $2 namespace, $3 after ('' from the start: every key is longer), $4 limit.
     */
    recordList: t.named(
      'record_list',
      `SELECT key, value FROM ${t.records}
       WHERE namespace = $2::text AND key > $3::text AND ${live('')}
       ORDER BY key LIMIT $4::int`,
    ),
    /** Deletes one record, expired or not, returning whether it was live. $2 namespace, $3 key. */
    recordDelete: t.named(
      'record_delete',
      `DELETE FROM ${t.records} WHERE namespace = $2::text AND key = $3::text RETURNING ${live('')} AS live`,
    ),
    /**
     * Deletes up to $2 expired records, oldest expiry first, and counts them. Rows a concurrent
     * statement holds are skipped (the next pass gets them); the outer condition is checked again,
     * so a record written anew meanwhile stays.
     */
    recordPurge: t.named(
      'record_purge',
      `WITH gone AS (
         DELETE FROM ${t.records} r WHERE (r.namespace, r.key) IN (
           SELECT namespace, key FROM ${t.records} WHERE expires_at <= ${NOW}
           ORDER BY expires_at LIMIT $2::int FOR UPDATE SKIP LOCKED)
         AND r.expires_at <= ${NOW}
         RETURNING 1)
       SELECT count(*)::int AS deleted FROM gone`,
    ),
  };
}

export type RecordStatements = ReturnType<typeof recordStatements>;
