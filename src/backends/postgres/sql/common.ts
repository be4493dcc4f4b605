import { ErrorCodes, SluiceError } from '../../../core/errors.js';
import { MAX_PAYLOAD_BYTES } from '../notify-payload.js';

/**
 * SQL building blocks shared by the statements, the migrations and the backend.
 *
 * Time: every statement takes the caller's clock as parameter `$1` (a bigint of epoch ms, or NULL).
 * NULL means "use the database's clock", which is what production does: lease expiry and due times
 * then never depend on a worker machine's clock. statement_timestamp() is stable within a
 * statement, so every row of a batch sees the same "now".
 */
export const NOW = '(coalesce($1::bigint, (extract(epoch from statement_timestamp()) * 1000)::bigint))';

/**
 * A batch array for `unnest`: `(SELECT $n::type[])` rather than `$n::type[]`. Given the bare
 * parameter, a custom plan sees the array's length (unnest's row estimate for a constant), so for
 * the one- and two-row batches of a worker at low concurrency every custom plan looks several times
 * cheaper than the generic plan (which assumes 10 rows), and PostgreSQL's plan cache re-plans the
 * statement on every call: 0.3–1 ms of planning for a claim or a completion that runs in 0.2 ms.
 * Behind a scalar sub-select (evaluated once per statement) both plans assume the same length, the
 * cache settles on the generic plan after its five trial runs, and the statement is planned once
 * per connection (docs/benchmarks.md, entry 13).
 */
export function batchParam(n: number, type: string): string {
  return `(SELECT $${n}::${type}[])`;
}

/** Schema names are used as identifiers; a plain name keeps quoting, channels and logs simple. */
const SCHEMA_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export const DEFAULT_SCHEMA = 'sluice';

/** Throws SLUICE_CONFIG unless `schema` is a plain identifier (letters, digits, underscore). */
export function validateSchemaName(schema: string): string {
  if (!SCHEMA_RE.test(schema)) {
    throw new SluiceError(
      ErrorCodes.config,
      `invalid PostgreSQL schema name "${schema}": use letters, digits and underscores (at most 63, not starting with a digit)`,
      { field: 'SLUICE_BACKEND' },
    );
  }
  return schema;
}

/** A double-quoted identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The NOTIFY channel of one schema: processes sharing a schema share events. */
export function channelName(schema: string): string {
  return `sluice_events_${schema}`.slice(0, 63);
}

/**
 * A short, stable tag of the schema for prepared-statement names: pg prepares a named statement
 * once per connection, and a caller's own connection (transactional enqueue) may serve several
 * schemas, so names must differ per schema (and stay under the 63-byte name limit).
 */
export function schemaTag(schema: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < schema.length; i++) {
    hash ^= schema.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export function whereClause(conditions: string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}

/** A named (prepared once per connection) statement. */
export interface Statement {
  name: string;
  text: string;
}

/** One schema's tables, and the naming of its prepared statements: what every group of statements is built on. */
export interface SchemaSql {
  schema: string;
  jobs: string;
  /** The event log (job_events). */
  jobEvents: string;
  queues: string;
  rateBudgets: string;
  /** The record store (records). */
  records: string;
  usage: string;
  named(name: string, text: string): Statement;
}

export function schemaSql(schema: string): SchemaSql {
  const tag = schemaTag(schema);
  return {
    schema,
    jobs: `${quoteIdent(schema)}.jobs`,
    jobEvents: `${quoteIdent(schema)}.job_events`,
    queues: `${quoteIdent(schema)}.queues`,
    rateBudgets: `${quoteIdent(schema)}.rate_budgets`,
    records: `${quoteIdent(schema)}.records`,
    usage: `${quoteIdent(schema)}.usage`,
    named: (name, text) => ({ name: `sluice_${tag}_${name}`, text }),
  };
}

/** Columns a reader gets: the row plus the statement's "now", for due-scheduled-reads-as-queued. */
export const ROW_AND_NOW = `j.*, ${NOW} AS sluice_now`;

export const LEASE_CLEARED = 'lease_token = NULL, lease_expires_at = NULL';

/** Matches the batch item's token against the current lease: a stale attempt matches no row. */
export const FENCE = "j.id = l.id AND j.lease_token = l.token AND j.status = 'running'";

/**
 * The CTEs that send one notify-payload message from inside a write statement: `payload` joins
 * `entry` (a wire event, as JSON text) over the rows of `from`, `note` sends it unless it is over
 * MAX_PAYLOAD_BYTES (the statement reports `note.sent IS NOT NULL AS notified`, and the caller
 * falls back to the notifier). No rows: no message.
 */
export const notifyCtes = (entry: string, from: string, channelParam: string, originParam: string) =>
  `payload AS (
       SELECT '{"o":' || to_json(${originParam}::text)::text || ',"v":[' || string_agg(${entry}, ',') || ']}' AS p
       FROM ${from}
     ),
     note AS (SELECT pg_notify(${channelParam}::text, p)::text AS sent FROM payload WHERE octet_length(p) <= ${MAX_PAYLOAD_BYTES})`;
