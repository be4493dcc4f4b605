import pg from 'pg';
import { ErrorCodes, SluiceError } from '../../core/errors.js';
import { DEFAULT_SCHEMA, validateSchemaName } from './sql.js';

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

/** The connection string for pg and the schema, taken from a `postgres://…[?schema=NAME]` URL. */
export function parsePostgresUrl(url: string, schema?: string): { connectionString: string; schema: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SluiceError(ErrorCodes.config, 'invalid PostgreSQL URL: expected postgres://user:password@host:5432/database', {
      field: 'SLUICE_BACKEND',
    });
  }
  const fromUrl = parsed.searchParams.get('schema');
  // pg would pass an unknown `schema` parameter on to the server as a startup option and fail.
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema: validateSchemaName(schema ?? fromUrl ?? DEFAULT_SCHEMA) };
}

/** Settings of the connections the adapter opens. */
export interface ConnectionSettings {
  connectionString: string;
  /** Connections in the pool. */
  poolSize: number;
  applicationName: string;
}

/**
 * Creates the pool. An idle connection that dies (server restart, pg_terminate_backend, network)
 * makes the pool emit `error`; without a listener that would crash the process, with it the pool
 * drops the connection and opens a fresh one on the next query.
 */
export function createPool(settings: ConnectionSettings): pg.Pool {
  const pool = new pg.Pool({
    connectionString: settings.connectionString,
    max: settings.poolSize,
    types: PG_TYPES,
    keepAlive: true,
    application_name: settings.applicationName,
    connectionTimeoutMillis: 10_000,
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
  return new pg.Client({
    connectionString: settings.connectionString,
    types: PG_TYPES,
    keepAlive: true,
    application_name: `${settings.applicationName}-listen`,
    connectionTimeoutMillis: 10_000,
  });
}
