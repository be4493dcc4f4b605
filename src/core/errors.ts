/**
 * Coded errors. Errors cross threads, processes and HTTP, so they are recognised by their stable
 * string `code`, never by `instanceof`. One table (server/http-errors.ts) maps codes to statuses.
 */
export const ErrorCodes = {
  validation: 'SLUICE_VALIDATION',
  invalidJson: 'SLUICE_INVALID_JSON',
  unknownType: 'SLUICE_UNKNOWN_TYPE',
  payloadTooLarge: 'SLUICE_PAYLOAD_TOO_LARGE',
  headersTooLarge: 'SLUICE_HEADERS_TOO_LARGE',
  requestTimeout: 'SLUICE_REQUEST_TIMEOUT',
  unsupportedMediaType: 'SLUICE_UNSUPPORTED_MEDIA_TYPE',
  notFound: 'SLUICE_NOT_FOUND',
  conflict: 'SLUICE_CONFLICT',
  idempotencyMismatch: 'SLUICE_IDEMPOTENCY_MISMATCH',
  notReady: 'SLUICE_NOT_READY',
  leaseLost: 'SLUICE_LEASE_LOST',
  leaseExpired: 'SLUICE_LEASE_EXPIRED',
  unauthorized: 'SLUICE_UNAUTHORIZED',
  forbidden: 'SLUICE_FORBIDDEN',
  timeout: 'SLUICE_TIMEOUT',
  cancelled: 'SLUICE_CANCELLED',
  permanent: 'SLUICE_PERMANENT',
  rateLimited: 'SLUICE_RATE_LIMITED',
  noHandler: 'SLUICE_NO_HANDLER',
  handlerFailed: 'SLUICE_HANDLER_FAILED',
  shuttingDown: 'SLUICE_SHUTTING_DOWN',
  backendUnavailable: 'SLUICE_BACKEND_UNAVAILABLE',
  config: 'SLUICE_CONFIG',
  notSupported: 'SLUICE_NOT_SUPPORTED',
  internal: 'SLUICE_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface SluiceErrorOptions {
  /** The input field the error is about, as a dotted path (`priority`, `jobs.3.type`). */
  field?: string | undefined;
  cause?: unknown;
}

/** Base class of every error Sluice raises on purpose. */
export class SluiceError extends Error {
  readonly code: string;
  readonly field: string | undefined;

  constructor(code: string, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.field = options.field;
  }

  toJSON(): { code: string; message: string; field?: string } {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

export class ValidationError extends SluiceError {
  constructor(message: string, field?: string) {
    super(ErrorCodes.validation, message, { field });
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends SluiceError {
  constructor(message: string) {
    super(ErrorCodes.notFound, message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends SluiceError {
  constructor(message: string, field?: string) {
    super(ErrorCodes.conflict, message, { field });
    this.name = 'ConflictError';
  }
}

/** An attempt-scoped write found that its lease is no longer the current one (fencing). */
export class LeaseLostError extends SluiceError {
  constructor(jobId: string) {
    super(ErrorCodes.leaseLost, `lease on job ${jobId} is no longer held by this attempt`);
    this.name = 'LeaseLostError';
  }
}

/**
 * Thrown by a handler: the job fails at once, whatever attempts are left (bad input, a model that
 * cannot load, a refusal). Goes straight to the dead-letter queue.
 */
export class PermanentError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(ErrorCodes.permanent, message, options);
    this.name = 'PermanentError';
  }
}

/** Thrown by a handler when a provider said "too many requests": retry after `retryAfterMs`. */
export class RateLimitedError extends SluiceError {
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number, options: SluiceErrorOptions = {}) {
    super(ErrorCodes.rateLimited, message, options);
    this.name = 'RateLimitedError';
    this.retryAfterMs = Math.max(0, retryAfterMs);
  }
}

/** True when `error` carries the given Sluice error code (works across process boundaries). */
export function hasErrorCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

export function isSluiceError(error: unknown): error is SluiceError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    String((error as { code: string }).code).startsWith('SLUICE_')
  );
}

/** Rebuilds a typed error from its JSON form (HTTP body, worker-thread message). */
export function errorFromJson(body: { code: string; message: string; field?: string | undefined }): SluiceError {
  return new SluiceError(body.code, body.message, { field: body.field });
}
