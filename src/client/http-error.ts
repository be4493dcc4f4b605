import { ErrorCodes, SluiceError } from '../core/errors.js';

/** An error answer from the server (or no answer at all): a SluiceError plus the HTTP status. */
export class SluiceHttpError extends SluiceError {
  /** The HTTP status; 0 when the server could not be reached. */
  readonly status: number;

  constructor(status: number, code: string, message: string, options: { field?: string | undefined; cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'SluiceHttpError';
    this.status = status;
  }
}

/** Builds the error for a non-2xx response from its `{"error":{code,message,field?}}` body. */
export function errorFromResponse(status: number, statusText: string, body: unknown): SluiceHttpError {
  const error = (body as { error?: unknown } | null)?.error as { code?: unknown; message?: unknown; field?: unknown } | undefined;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new SluiceHttpError(status, error.code, error.message, {
      field: typeof error.field === 'string' ? error.field : undefined,
    });
  }
  // Not our format: a proxy or load balancer answered. Keep the status, pick a code by its class.
  const code = status === 503 || status === 502 || status === 504 ? ErrorCodes.backendUnavailable : ErrorCodes.internal;
  return new SluiceHttpError(status, code, `HTTP ${status} ${statusText}`.trim());
}
