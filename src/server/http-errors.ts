import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes, isSluiceError } from '../core/errors.js';

/**
 * The one table mapping Sluice error codes to HTTP statuses. Errors are recognised by code, never by
 * class, so an error that crossed a thread or process boundary maps the same way. A code that is not
 * here is a bug or an outage: it answers 500 with a generic message and the real error is logged.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<string, number>> = {
  [ErrorCodes.validation]: 400,
  [ErrorCodes.invalidJson]: 400,
  [ErrorCodes.unknownType]: 400,
  [ErrorCodes.unauthorized]: 401,
  [ErrorCodes.forbidden]: 403,
  [ErrorCodes.requestTimeout]: 408,
  [ErrorCodes.notFound]: 404,
  [ErrorCodes.conflict]: 409,
  [ErrorCodes.notReady]: 409,
  [ErrorCodes.payloadTooLarge]: 413,
  [ErrorCodes.idempotencyMismatch]: 422,
  [ErrorCodes.unsupportedMediaType]: 415,
  [ErrorCodes.headersTooLarge]: 431,
  [ErrorCodes.rateLimited]: 429,
  [ErrorCodes.notSupported]: 501,
  [ErrorCodes.shuttingDown]: 503,
  [ErrorCodes.backendUnavailable]: 503,
};

/** The HTTP status for an error code (500 for anything not in the table). */
export function httpStatusFor(code: string): number {
  return HTTP_STATUS_BY_CODE[code] ?? 500;
}

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/**
 * Fastify's own errors (raised before a handler runs) translated to Sluice codes, so that a client
 * sees one error format whatever layer refused the request.
 */
const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCodes.invalidJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCodes.invalidJson,
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCodes.payloadTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCodes.unsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCodes.validation,
};

const FASTIFY_MESSAGES: Readonly<Record<string, string>> = {
  [ErrorCodes.invalidJson]: 'request body is not valid JSON',
  [ErrorCodes.unsupportedMediaType]: 'unsupported content type: send application/json',
};

/** Turns anything thrown into a status and a body that is safe to show a client. */
export function toHttpError(error: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (isSluiceError(error)) {
    const status = httpStatusFor(error.code);
    // 501 and 503 are deliberate answers (a missing capability, an outage) with a message worth showing.
    if (status >= 500 && status !== 501 && status !== 503) return internalError();
    const field = (error as { field?: unknown }).field;
    return { status, body: errorBody(error.code, error.message, typeof field === 'string' ? field : undefined), internal: false };
  }
  const fastifyCode = (error as Partial<FastifyError> | null)?.code;
  const mapped = typeof fastifyCode === 'string' ? FASTIFY_CODES[fastifyCode] : undefined;
  if (mapped !== undefined) {
    const message = FASTIFY_MESSAGES[mapped] ?? (error as Error).message;
    return { status: httpStatusFor(mapped), body: errorBody(mapped, message), internal: false };
  }
  // Any other 4xx that Fastify raises (bad URL encoding, a malformed header) is the client's fault.
  const statusCode = (error as Partial<FastifyError> | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const code =
      statusCode === 413
        ? ErrorCodes.payloadTooLarge
        : statusCode === 415
          ? ErrorCodes.unsupportedMediaType
          : ErrorCodes.validation;
    return { status: httpStatusFor(code), body: errorBody(code, (error as Error).message || 'bad request'), internal: false };
  }
  return internalError();
}

function internalError(): { status: number; body: ErrorBody; internal: boolean } {
  return { status: 500, body: errorBody(ErrorCodes.internal, 'internal server error'), internal: true };
}

export function errorBody(code: string, message: string, field?: string): ErrorBody {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

/** Answers a request with the error's status and `{"error":{...}}` body, logging what is ours. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body, internal } = toHttpError(error);
  if (internal) request.log.error({ err: error }, 'request failed');
  else if (status >= 500 && status !== 501) request.log.warn({ err: error }, 'service unavailable');
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** Installs the error handler and the 404 handler: every error leaves as `{"error":{...}}`.
 * (Errors raised before routing, such as a malformed URL, need Fastify's `frameworkErrors`
 * option set to sendError; see app.ts.) */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => sendError(error, request, reply));
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const body = errorBody(ErrorCodes.notFound, `no route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}`);
    return reply.code(404).type('application/json; charset=utf-8').send(body);
  });
}
