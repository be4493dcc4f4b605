import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { buildOpenApiDocument } from '../openapi-document.js';
import { defineRoute } from '../route.js';

/** The package version, shown in the document's info. */
const VERSION = '0.1.0';

/** `/openapi.json`: generated once, on first request, when every route is registered. */
export async function openApiRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  let document: string | undefined;
  defineRoute(app, ctx, {
    method: 'GET',
    url: '/openapi.json',
    access: 'public',
    summary: 'This API as an OpenAPI 3.1 document',
    tags: ['meta'],
    responses: { 200: { description: 'The OpenAPI document', contentType: 'application/json' } },
    handler: async ({ reply }) => {
      document ??= JSON.stringify(buildOpenApiDocument(ctx.routes, { version: VERSION, serverUrl: ctx.publicUrl }));
      return reply.type('application/json; charset=utf-8').send(document);
    },
  });
}
