import pg from 'pg';
import { ErrorCodes, SluiceError } from '../../core/errors.js';
import { DEFAULT_SCHEMA, validateSchemaName } from './sql/common.js';

/** OIDs of the types whose default parsing does not suit the adapter. */
const INT8_OID = 20;
const JSON_OID = 114;
const JSONB_OID = 3802;

/**
 * Type parsing for every query the adapter sends (also on a caller's own client): int8 (epoch-ms
 * times) becomes a number instead of a string, and JSON columns stay text so that the row mapping
 * can tell SQL NULL (field absent) from a stored JSON `null` (field present), as SQLite does.
 * A per-pool object, so the global pg type registry of the host application is left alone.
 */
export const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === INT8_OID) return (value: string) => Number(value);
    if (oid === JSON_OID || oid === JSONB_OID) return (value: string) => value;
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Bounds on every call (invariant 7), settable in the URL query (`?statementTimeoutMs=…`):
 * - `connectTimeoutMs`: opening a connection, and waiting for a free one in the pool.
 * - `statementTimeoutMs`: the server cancels a statement that runs longer (statement_timeout).
 * - `queryTimeoutMs`: the client gives up on a reply that does not come (a stalled or dropping
 *   network, where the server never sees the statement) and discards that connection. Longer than
 *   the statement timeout, so that a slow statement is cancelled by the server first.
 * - `idleInTransactionTimeoutMs`: the server ends a session left idle inside a transaction (its
 *   client cut off mid-transaction), releasing its row locks.
 * - `longStatementTimeoutMs`: the statement bound of the work nobody waits on within seconds
 *   (migrations, the retention sweep, redrives, fleet-wide stats and usage; long-statements.ts).
 *
 * The first three are short because ordinary calls answer a waiting client: a connection that
 * silently lost its request must surface as a 503 before that client gives up on the call.
 */
export interface PostgresTimeouts {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  queryTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  longStatementTimeoutMs: number;
}

export const DEFAULT_POSTGRES_TIMEOUTS: Readonly<PostgresTimeouts> = {
  connectTimeoutMs: 5_000,
  statementTimeoutMs: 4_000,
  queryTimeoutMs: 5_000,
  idleInTransactionTimeoutMs: 60_000,
  longStatementTimeoutMs: 60_000,
};

/** TCP keepalive probes start after this much silence on a connection (the LISTEN one above all). */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

const urlError = (message: string) => new SluiceError(ErrorCodes.config, message, { field: 'SLUICE_BACKEND' });

/**
 * The connection string for pg, the schema and the timeouts, taken from a
 * `postgres://…[?schema=NAME][&statementTimeoutMs=N…]` URL.
 */
export function parsePostgresUrl(
  url: string,
  schema?: string,
): { connectionString: string; schema: string; timeouts: PostgresTimeouts } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw urlError('invalid PostgreSQL URL: expected postgres://user:password@host:5432/database');
  }
  const fromUrl = parsed.searchParams.get('schema');
  // pg would pass an unknown parameter on to the server as a startup option and fail.
  parsed.searchParams.delete('schema');
  const timeouts = { ...DEFAULT_POSTGRES_TIMEOUTS };
  for (const name of Object.keys(timeouts) as Array<keyof PostgresTimeouts>) {
    const text = parsed.searchParams.get(name);
    parsed.searchParams.delete(name);
    if (text === null) continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) {
      throw urlError(`PostgreSQL URL option ${name} must be a positive whole number of milliseconds, got "${text}"`);
    }
    timeouts[name] = value;
  }
  return { connectionString: parsed.toString(), schema: validateSchemaName(schema ?? fromUrl ?? DEFAULT_SCHEMA), timeouts };
}

/** Settings of the connections the adapter opens. */
export interface ConnectionSettings {
  connectionString: string;
  /** Connections in the pool. */
  poolSize: number;
  applicationName: string;
  timeouts: PostgresTimeouts;
}

/** pg options every connection of the adapter shares. */
function clientOptions(settings: ConnectionSettings) {
  const { timeouts } = settings;
  return {
    connectionString: settings.connectionString,
    types: PG_TYPES,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs,
    query_timeout: timeouts.queryTimeoutMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
  };
}

/**
 * Creates the pool. An idle connection that dies (server restart, pg_terminate_backend, network)
 * makes the pool emit `error`; without a listener that would crash the process, with it the pool
 * drops the connection and opens a fresh one on the next query. A connection whose reply timed out
 * (query_timeout) is released with that error, so the pool discards it too instead of lending out
 * a connection that still waits for a reply that may never come.
 */
export function createPool(settings: ConnectionSettings): pg.Pool {
  const pool = new pg.Pool({
    ...clientOptions(settings),
    max: settings.poolSize,
    application_name: settings.applicationName,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', () => {
    // Dropped by the pool already; the next query reconnects, and the failed call (if any) has
    // surfaced as SLUICE_BACKEND_UNAVAILABLE.
  });
  return pool;
}

/** A standalone client (not from the pool), e.g. the LISTEN connection. */
export function createClient(settings: ConnectionSettings): pg.Client {
  return new pg.Client({ ...clientOptions(settings), application_name: `${settings.applicationName}-listen` });
}
