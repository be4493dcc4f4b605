import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../core/validate.js';
import { readScope } from '../auth.js';
import type { ServerContext } from '../context.js';
import { dlqQuerySchema, errorBodySchema, jobPageSchema, redriveRequestSchema, redriveResultSchema } from '../http-schemas.js';
import { toJobPage } from '../job-page.js';
import { defineRoute } from '../route.js';

/** The dead-letter queue: failed jobs, and redrive to run them again. */
export async function dlqRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  defineRoute(app, ctx, {
    method: 'GET',
    url: '/v1/dlq',
    access: 'tenant',
    summary: 'Failed jobs (the dead-letter queue), newest first',
    tags: ['dlq'],
    query: dlqQuerySchema,
    responses: {
      200: { description: 'A page of failed jobs', schema: jobPageSchema },
      400: { description: 'Invalid query parameter', schema: errorBodySchema },
    },
    handler: async ({ query, caller }) => {
      const page = await ctx.sluice.list({ ...query, status: 'failed', tenant: readScope(caller) });
      return toJobPage(page);
    },
  });

  defineRoute(app, ctx, {
    method: 'POST',
    url: '/v1/dlq/redrive',
    access: 'tenant',
    summary: 'Move failed jobs back to their queue with fresh attempts (an empty body moves all)',
    tags: ['dlq'],
    body: { schema: redriveRequestSchema, required: false },
    responses: {
      200: { description: 'How many jobs moved', schema: redriveResultSchema },
      400: { description: 'Invalid request (the field is named)', schema: errorBodySchema },
    },
    handler: async ({ request, caller }) => {
      // No body moves all; a JSON null is not "no body" (it is refused like any non-object).
      const body = parseOrThrow(redriveRequestSchema, request.body === undefined ? {} : request.body);
      const redriven = await ctx.sluice.redrive({ ...body, tenant: readScope(caller) });
      return { redriven };
    },
  });
}
