import { ErrorCodes, isSluiceError, SluiceError } from '../../core/errors.js';

/** Redis replies that mean "the server cannot serve right now" rather than "this request is wrong". */
const UNAVAILABLE_REPLY = /^(OOM|LOADING|BUSY|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF)\b/;

/**
 * Driver errors stop at the adapter edge: callers recognise errors by Sluice code only. Sluice errors
 * (NotFound, Conflict, LeaseLost, Validation) pass through. A connection that is down, closed or gave
 * up retrying is SLUICE_BACKEND_UNAVAILABLE; an unexpected error reply (a script bug) is internal.
 */
export function translateError(error: unknown): unknown {
  if (isSluiceError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const isReply = error instanceof Error && error.name === 'ReplyError';
  const code = isReply && !UNAVAILABLE_REPLY.test(message) ? ErrorCodes.internal : ErrorCodes.backendUnavailable;
  return new SluiceError(code, `redis: ${message}`, { cause: error });
}

export function closedError(): SluiceError {
  return new SluiceError(ErrorCodes.backendUnavailable, 'redis backend is closed');
}
