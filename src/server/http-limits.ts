import type { FastifyServerOptions } from 'fastify';
import { ErrorCodes, SluiceError } from '../core/errors.js';

/**
 * How long the HTTP server waits for a client, and how many it serves at once. Node's and Fastify's
 * defaults leave most of these unbounded: idle sockets and bodies dribbled a byte at a time stayed
 * open for minutes, and a few hundred of them exhausted the file descriptors.
 */
export interface HttpLimits {
  /** Receiving one whole request, headers and body (not the answer: long polls are not cut). */
  requestTimeoutMs: number;
  /** Receiving a request's headers. At most requestTimeoutMs. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection between two requests. */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic at all; must outlast the longest `?wait=` long poll. */
  connectionTimeoutMs: number;
  /** Requests one connection may carry before the server closes it (0: no limit). */
  maxRequestsPerSocket: number;
  /** Open connections; further ones are closed as they arrive. */
  maxConnections: number;
}

/** Limits as configured: any may be left out (or undefined) for its default. */
export type GivenHttpLimits = { [K in keyof HttpLimits]?: HttpLimits[K] | undefined };

export const DEFAULT_HTTP_LIMITS: Readonly<Omit<HttpLimits, 'connectionTimeoutMs'>> = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  // Above the 60 s idle timeout of common load balancers, so that they close first (no race).
  keepAliveTimeoutMs: 72_000,
  maxRequestsPerSocket: 1_000,
  maxConnections: 1_000,
};

/** The idle allowance past the longest long poll (its answer takes a moment to write). */
const LONG_POLL_MARGIN_MS = 10_000;

/**
 * Fills in the defaults; the connection timeout defaults to the longest long poll plus a margin,
 * and one that would cut long polls short is a configuration error naming its variable.
 */
export function resolveHttpLimits(given: GivenHttpLimits, maxWaitSeconds: number): HttpLimits {
  const longestPollMs = maxWaitSeconds * 1000;
  const limits: HttpLimits = {
    ...DEFAULT_HTTP_LIMITS,
    connectionTimeoutMs: longestPollMs + LONG_POLL_MARGIN_MS,
    ...withoutUndefined(given),
  };
  if (limits.connectionTimeoutMs <= longestPollMs) {
    throw new SluiceError(
      ErrorCodes.config,
      `SLUICE_CONNECTION_TIMEOUT_MS (${limits.connectionTimeoutMs}) must be longer than SLUICE_MAX_WAIT_SECONDS (${maxWaitSeconds} s), or long polls are cut`,
      { field: 'SLUICE_CONNECTION_TIMEOUT_MS' },
    );
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new SluiceError(
      ErrorCodes.config,
      `SLUICE_HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs}) must not exceed SLUICE_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs})`,
      { field: 'SLUICE_HEADERS_TIMEOUT_MS' },
    );
  }
  return limits;
}

/** The Fastify (and node:http) server options that apply the limits; maxConnections is set on listen. */
export function serverOptionsFor(limits: HttpLimits): Pick<
  FastifyServerOptions,
  'requestTimeout' | 'connectionTimeout' | 'keepAliveTimeout' | 'maxRequestsPerSocket'
> & {
  http: { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number };
} {
  return {
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      // Node checks the request and headers deadlines on this interval (30 s by default, which
      // would let a 10 s headers timeout run to 40 s).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
    },
  };
}

function withoutUndefined(value: GivenHttpLimits): Partial<HttpLimits> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
