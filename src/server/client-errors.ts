import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { ErrorCodes } from '../core/errors.js';
import { errorBody, httpStatusFor } from './http-errors.js';

/** Node's parser errors that are the client's doing, each with the Sluice code it answers with. */
const CODE_BY_NODE_ERROR: Readonly<Record<string, string>> = {
  ERR_HTTP_REQUEST_TIMEOUT: ErrorCodes.requestTimeout,
  HPE_HEADER_OVERFLOW: ErrorCodes.headersTooLarge,
};

const MESSAGE_BY_CODE: Readonly<Record<string, string>> = {
  [ErrorCodes.requestTimeout]: 'the request was not received in time',
  [ErrorCodes.headersTooLarge]: 'the request headers are too large',
  [ErrorCodes.validation]: 'malformed HTTP request',
};

/**
 * Answers what node:http refuses before Fastify sees a request (a malformed request line, headers
 * too large, a request not received within the timeout) in Sluice's error format, then closes the
 * connection (Fastify's clientErrorHandler; Node's own answer has no body at all).
 */
export function clientErrorHandler(this: { log: FastifyBaseLogger }, error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection is already gone: there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code = CODE_BY_NODE_ERROR[error.code ?? ''] ?? ErrorCodes.validation;
  const status = httpStatusFor(code);
  this.log.debug({ err: error, status }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(errorBody(code, MESSAGE_BY_CODE[code] ?? 'bad request'));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
