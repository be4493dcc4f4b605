import { ErrorCodes, SluiceError } from '../../core/errors.js';

/** Node socket errors that mean the server cannot be reached or the connection broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** pg's own messages for a connection that broke or never came up (they carry no code). */
const CONNECTION_MESSAGES =
  /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Client was closed|Query read timeout/i;

/**
 * SQLSTATE classes and codes. 08: connection exception; 57P01-03: the server shut the connection
 * (admin shutdown, pg_terminate_backend, crash, starting up); 53: insufficient resources (too many
 * connections); 40001/40P01: serialization failure / deadlock (retrying the call succeeds);
 * 57014: the statement ran past statement_timeout; 25P03: the session sat idle in a transaction past
 * idle_in_transaction_session_timeout (both bounded waits, invariant 7).
 */
function isUnavailable(code: string): boolean {
  return (
    NETWORK_CODES.has(code) ||
    code.startsWith('08') ||
    code.startsWith('57P') ||
    code.startsWith('53') ||
    code === '40001' ||
    code === '40P01' ||
    code === '57014' ||
    code === '25P03'
  );
}

/**
 * Driver errors stop at the adapter edge: callers recognise errors by Sluice code only. Sluice
 * errors (NotFound, Conflict, LeaseLost) pass through unchanged.
 */
export function translateError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && code.startsWith('SLUICE_')) return error;
  const text = typeof message === 'string' ? message : String(error);
  if (typeof code === 'string') {
    if (isUnavailable(code)) {
      return new SluiceError(ErrorCodes.backendUnavailable, `postgres unavailable: ${text} (${code})`, { cause: error });
    }
    if (code === '23505') return new SluiceError(ErrorCodes.conflict, `postgres: ${text}`, { cause: error });
    if (code === '3F000' || code === '42P01') {
      return new SluiceError(
        ErrorCodes.config,
        `postgres: ${text}: the Sluice schema is missing; run \`sluice migrate\` (or start with SLUICE_AUTO_MIGRATE=true)`,
        { cause: error },
      );
    }
    if (code.startsWith('28') || code === '3D000') {
      return new SluiceError(ErrorCodes.config, `postgres: ${text} (${code}); check SLUICE_BACKEND`, {
        cause: error,
        field: 'SLUICE_BACKEND',
      });
    }
    return new SluiceError(ErrorCodes.internal, `postgres: ${text} (${code})`, { cause: error });
  }
  if (CONNECTION_MESSAGES.test(text)) {
    return new SluiceError(ErrorCodes.backendUnavailable, `postgres unavailable: ${text}`, { cause: error });
  }
  return error;
}

export function closedError(): SluiceError {
  return new SluiceError(ErrorCodes.backendUnavailable, 'postgres backend is closed');
}
