import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { parseOrThrow } from '../core/validate.js';
import type { Caller } from './auth.js';
import type { ServerContext } from './context.js';
import type { RouteDoc } from './route-doc.js';

type Parsed<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

/** What a route handler receives: validated params and query, the caller, and Fastify's pair. */
export interface RouteInput<P, Q> {
  params: Parsed<P>;
  query: Parsed<Q>;
  caller: Caller;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteSpec<P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined>
  extends Omit<RouteDoc, 'params' | 'query'> {
  params?: P;
  query?: Q;
  /** Returns the body to send (status 200), or the reply after setting status and body itself. */
  handler: (input: RouteInput<P, Q>) => Promise<unknown>;
}

/**
 * Registers a route: authenticates before the body is read (an unauthenticated client cannot make
 * the server parse a large body), validates params and query with zod (errors name the field), and
 * records the route's documentation for /openapi.json.
 */
export function defineRoute<P extends z.ZodObject | undefined = undefined, Q extends z.ZodObject | undefined = undefined>(
  app: FastifyInstance,
  ctx: ServerContext,
  spec: RouteSpec<P, Q>,
): void {
  const { handler, ...doc } = spec;
  ctx.routes.push(doc);
  app.route({
    method: spec.method,
    url: spec.url,
    onRequest: async (request) => {
      ctx.auth.authenticate(request, spec.access);
    },
    handler: async (request, reply) => {
      const params = (spec.params ? parseOrThrow(spec.params, request.params ?? {}) : {}) as Parsed<P>;
      const query = (spec.query ? parseOrThrow(spec.query, request.query ?? {}) : {}) as Parsed<Q>;
      const caller = spec.access === 'public' ? { tenant: undefined, admin: false } : ctx.auth.callerOf(request);
      return handler({ params, query, caller, request, reply });
    },
  });
}
