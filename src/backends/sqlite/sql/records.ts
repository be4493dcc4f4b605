/** The SQL of the record store role (ports/record-store.ts) on the `records` table (schema migration 6). */

/** A record is live until its expiry time: at `@now` equal to `expires_at` it has expired. */
const LIVE = '(expires_at IS NULL OR expires_at > @now)';

/** Writes the record, over whatever is there (live or expired). */
export const RECORD_PUT = `INSERT INTO records (namespace, key, value, expires_at) VALUES (@namespace, @key, @value, @expiresAt)
       ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`;

/**
 * ifAbsent: writes when there is no row or only an expired one; over a live row it changes nothing
 * (changes() = 0). One statement, so two writers racing on one key cannot both see it absent.
 */
export const RECORD_PUT_IF_ABSENT = `${RECORD_PUT}
       WHERE records.expires_at IS NOT NULL AND records.expires_at <= @now`;

export const RECORD_GET = `SELECT value FROM records WHERE namespace = @namespace AND key = @key AND ${LIVE}`;

/** A page in key order after `@after` ('' for the first page: every key is longer). */
export const RECORD_LIST = `SELECT key, value FROM records
       WHERE namespace = @namespace AND key > @after AND ${LIVE} ORDER BY key LIMIT @limit`;

/** Deletes the row, live or expired, and says whether it was live (no row: nothing was there). */
export const RECORD_DELETE = `DELETE FROM records WHERE namespace = @namespace AND key = @key RETURNING ${LIVE}`;

/** Up to `@limit` expired rows, found through the expiry index (which holds their keys). */
export const RECORD_PURGE_EXPIRED = `DELETE FROM records WHERE (namespace, key) IN (
         SELECT namespace, key FROM records INDEXED BY records_expiry WHERE expires_at <= @now LIMIT @limit)`;
