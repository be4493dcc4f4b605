import type pg from 'pg';
import type { PostgresTimeouts } from './connection.js';

/** What the adapter's statements need of a pg client. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** pg reads a per-query `query_timeout` (it overrides the connection's); its types do not list it. */
type TimedQueryConfig = pg.QueryConfig & { query_timeout: number };

/**
 * How long a long statement's reply is awaited: its server-side bound plus the margin the ordinary
 * calls keep between `statementTimeoutMs` and `queryTimeoutMs`, so that the server cancels a slow
 * statement before the client abandons it.
 */
export function longReadTimeoutMs(timeouts: PostgresTimeouts): number {
  return timeouts.longStatementTimeoutMs + Math.max(1_000, timeouts.queryTimeoutMs - timeouts.statementTimeoutMs);
}

/** `client`, with the reply of every query awaited for up to `readTimeoutMs`. */
function withReadTimeout(client: pg.PoolClient, readTimeoutMs: number): Queryable {
  const query = (textOrConfig: string | pg.QueryConfig, values?: unknown[]) => {
    const config: TimedQueryConfig =
      typeof textOrConfig === 'string'
        ? { text: textOrConfig, values: values ?? [], query_timeout: readTimeoutMs }
        : { ...textOrConfig, query_timeout: readTimeoutMs };
    return client.query(config);
  };
  return { query } as Queryable;
}

/**
 * Runs `work` in one transaction whose statements may each run for `longStatementTimeoutMs`.
 *
 * Ordinary calls answer a waiting client, so their bounds are short (a dead connection must show
 * up as a 503 before the caller gives up). Migrations, the retention sweep, redrives and fleet-wide
 * reads scan whole tables and nobody is waiting on them within seconds: they raise the bound for
 * their own transaction only (`SET LOCAL`), on a connection of the same pool.
 */
export async function inLongTransaction<T>(
  pool: pg.Pool,
  timeouts: PostgresTimeouts,
  work: (client: Queryable) => Promise<T>,
): Promise<T> {
  const connection = await pool.connect();
  const client = withReadTimeout(connection, longReadTimeoutMs(timeouts));
  try {
    await client.query(`BEGIN; SET LOCAL statement_timeout = ${Math.floor(timeouts.longStatementTimeoutMs)}`);
    const result = await work(client);
    await client.query('COMMIT');
    connection.release();
    return result;
  } catch (error) {
    // A statement that failed leaves the connection usable once rolled back; one whose reply never
    // came is discarded, and the server rolls back when it sees the connection close.
    const rolledBack = await connection
      .query({ text: 'ROLLBACK', query_timeout: timeouts.queryTimeoutMs } as TimedQueryConfig)
      .then(
        () => true,
        () => false,
      );
    connection.release(rolledBack ? undefined : true);
    throw error;
  }
}
