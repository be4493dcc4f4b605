import Database from 'better-sqlite3';
import { ErrorCodes, SluiceError } from '../../core/errors.js';

/** Result codes that mean "the database cannot serve right now" rather than "this request is wrong". */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL)/;

/**
 * Driver errors stop at the adapter edge: callers recognise errors by Sluice code only. Errors that are
 * already Sluice errors (NotFound, Conflict, LeaseLost) pass through unchanged.
 */
export function translateError(error: unknown): unknown {
  if (error instanceof Database.SqliteError) {
    const code = UNAVAILABLE.test(error.code)
      ? ErrorCodes.backendUnavailable
      : error.code.startsWith('SQLITE_CONSTRAINT')
        ? ErrorCodes.conflict // e.g. a job id that already exists
        : ErrorCodes.internal;
    return new SluiceError(code, `sqlite: ${error.message} (${error.code})`, { cause: error });
  }
  return error;
}

export function closedError(): SluiceError {
  return new SluiceError(ErrorCodes.backendUnavailable, 'sqlite backend is closed');
}
