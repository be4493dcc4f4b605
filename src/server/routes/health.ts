import type { FastifyInstance } from 'fastify';
import { ErrorCodes, SluiceError } from '../../core/errors.js';
import type { ServerContext } from '../context.js';
import { errorBodySchema, healthSchema } from '../http-schemas.js';
import { defineRoute } from '../route.js';

/**
 * The ping, or a rejection once `ms` have passed: a probe must answer "not ready" promptly even
 * when the backend's own call is still waiting out its (longer) timeout on a stalled network.
 */
async function withinMs<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([call, late]);
  } finally {
    clearTimeout(timer);
    call.catch(() => undefined); // settles later on its own bound; nobody waits for it now
  }
}

/** Liveness (the process answers) and readiness (the backend answers). Public: probes carry no key. */
export async function healthRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  defineRoute(app, ctx, {
    method: 'GET',
    url: '/healthz',
    access: 'public',
    summary: 'Liveness: the process is up',
    tags: ['health'],
    responses: { 200: { description: 'Up', schema: healthSchema } },
    handler: async () => ({ status: 'ok' }),
  });

  defineRoute(app, ctx, {
    method: 'GET',
    url: '/readyz',
    access: 'public',
    summary: 'Readiness: the backend answers a ping',
    tags: ['health'],
    responses: {
      200: { description: 'Ready', schema: healthSchema },
      503: { description: 'The backend is unavailable', schema: errorBodySchema },
    },
    handler: async ({ request }) => {
      try {
        await withinMs(ctx.sluice.backend.ping(), ctx.readyTimeoutMs);
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        throw new SluiceError(ErrorCodes.backendUnavailable, `backend ${ctx.sluice.backend.name} is not available`, {
          cause: error,
        });
      }
      return { status: 'ready' };
    },
  });
}
