import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { defineRoute } from '../route.js';

/**
 * Prometheus metrics. With API keys on it needs an admin key: the gauges count every tenant's jobs
 * per queue, which a tenant must not see (Prometheus sends it as `authorization.credentials`).
 */
export async function metricsRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  defineRoute(app, ctx, {
    method: 'GET',
    url: '/metrics',
    access: 'admin',
    summary: 'Prometheus metrics (text exposition format)',
    tags: ['observability'],
    responses: { 200: { description: 'Metrics', contentType: 'text/plain; version=0.0.4' } },
    handler: async ({ reply }) => {
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    },
  });
}
