import type { FastifyInstance } from 'fastify';
import type { QueueStats } from '../../core/job.js';
import { readScope } from '../auth.js';
import type { ServerContext } from '../context.js';
import { errorBodySchema, queueListSchema, queueParamsSchema, queueStateSchema } from '../http-schemas.js';
import { defineRoute } from '../route.js';

/** Queues: per-queue counts and lag; pause and resume (admin). */
export async function queueRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  defineRoute(app, ctx, {
    method: 'GET',
    url: '/v1/queues',
    access: 'tenant',
    summary: "Queues with counts per state, pause flag and lag (a tenant sees its own jobs' counts)",
    tags: ['queues'],
    responses: { 200: { description: 'Every known queue', schema: queueListSchema } },
    handler: async ({ caller }) => {
      const stats = await ctx.sluice.stats({ tenant: readScope(caller) });
      return { queues: stats.map(queueJson) };
    },
  });

  for (const action of ['pause', 'resume'] as const) {
    defineRoute(app, ctx, {
      method: 'POST',
      url: `/v1/queues/:name/${action}`,
      access: 'admin',
      summary: action === 'pause' ? 'Pause a queue: no job is claimed from it until resumed' : 'Resume a paused queue',
      tags: ['queues'],
      params: queueParamsSchema,
      responses: {
        200: { description: 'The queue state now', schema: queueStateSchema },
        400: { description: 'Malformed queue name', schema: errorBodySchema },
      },
      handler: async ({ params }) => {
        if (action === 'pause') await ctx.sluice.pauseQueue(params.name);
        else await ctx.sluice.resumeQueue(params.name);
        return { name: params.name, paused: action === 'pause' };
      },
    });
  }
}

function queueJson(stats: QueueStats): QueueStats {
  return { name: stats.name, paused: stats.paused, counts: { ...stats.counts }, oldestQueuedAgeMs: stats.oldestQueuedAgeMs };
}
