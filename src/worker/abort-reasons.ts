import { ErrorCodes, LeaseLostError, SluiceError } from '../core/errors.js';

/**
 * Why an attempt's AbortSignal fired. The reason is a coded SluiceError so that a handler (or a
 * worker thread it hands the signal to) can tell them apart by `signal.reason.code`.
 */
export type AbortKind = 'timeout' | 'lease_lost' | 'cancelled' | 'shutdown';

/** The attempt ran past its timeout: a transient failure, retried like any other. */
export function timeoutReason(timeoutMs: number): SluiceError {
  return new SluiceError(ErrorCodes.timeout, `attempt timed out after ${timeoutMs} ms`);
}

/** The lease was taken away (expired and reclaimed, or revoked): the attempt may write nothing more. */
export function leaseLostReason(jobId: string): SluiceError {
  return new LeaseLostError(jobId);
}

/** The job was cancelled while it ran: the backend has already ended it. */
export function cancelledReason(jobId: string): SluiceError {
  return new SluiceError(ErrorCodes.cancelled, `job ${jobId} was cancelled`);
}

/** The worker stopped before the attempt finished: the job is released to another worker. */
export function shutdownReason(): SluiceError {
  return new SluiceError(ErrorCodes.shuttingDown, 'worker is shutting down');
}

/** Which kind of abort a reason stands for, by its code. */
export function abortKind(reason: unknown): AbortKind | undefined {
  const code = (reason as { code?: unknown } | null | undefined)?.code;
  switch (code) {
    case ErrorCodes.timeout:
      return 'timeout';
    case ErrorCodes.leaseLost:
      return 'lease_lost';
    case ErrorCodes.cancelled:
      return 'cancelled';
    case ErrorCodes.shuttingDown:
      return 'shutdown';
    default:
      return undefined;
  }
}
