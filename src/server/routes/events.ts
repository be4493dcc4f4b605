import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toJobEventJson } from '../../core/job-event-json.js';
import { parseOrThrow } from '../../core/validate.js';
import { readScope } from '../auth.js';
import type { ServerContext } from '../context.js';
import {
  errorBodySchema,
  eventFeedPageSchema,
  eventFeedQuerySchema,
  feedCursorSchema,
  jobEventListSchema,
  jobEventsQuerySchema,
  jobParamsSchema,
  seqSchema,
} from '../http-schemas.js';
import { SseSink } from '../push/sse-sink.js';
import { defineRoute } from '../route.js';

const err = (description: string) => ({ description, schema: errorBodySchema });

const EVENT_STREAM = 'text/event-stream';
const LAST_EVENT_ID = 'Last-Event-ID';

const NOT_SUPPORTED = err('The backend keeps no event log (SLUICE_NOT_SUPPORTED; capabilities.eventLog)');

/** A job's events and the tenant's feed, as JSON pages or as Server-Sent Events. */
export async function eventRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const sse = { keepAliveMs: ctx.push.options.keepAliveMs, retryMs: ctx.push.options.retryMs };

  defineRoute(app, ctx, {
    method: 'GET',
    url: '/v1/jobs/:id/events',
    access: 'tenant',
    summary: "A job's events: the history as JSON, or with Accept: text/event-stream a stream that ends after the job's end",
    tags: ['events'],
    params: jobParamsSchema,
    query: jobEventsQuerySchema,
    headers: {
      [LAST_EVENT_ID]: 'The seq of the last event the client has (what an EventSource sends when it reconnects)',
      Accept: `${EVENT_STREAM} for Server-Sent Events (id: seq, event: type, data: the event)`,
    },
    responses: {
      200: {
        description: 'The events after `after`, oldest first; as SSE, then the live ones until the terminal event',
        schema: jobEventListSchema,
        alternatives: { [EVENT_STREAM]: undefined },
      },
      204: { description: 'SSE only: the client has every event up to the job’s end (an EventSource stops reconnecting)' },
      400: err('Malformed id, after, limit or Last-Event-ID (the field is named)'),
      404: err('No such job'),
      501: NOT_SUPPORTED,
    },
    handler: async ({ params, query, caller, request, reply }) => {
      const lastEventId = headerOf(request, LAST_EVENT_ID);
      const after = lastEventId === undefined ? (query.after ?? 0) : parseOrThrow(seqSchema, lastEventId, LAST_EVENT_ID);
      const job = { id: params.id, tenant: readScope(caller), after };
      if (!wantsStream(request)) return { events: (await ctx.push.jobEvents(job, query.limit)).map(toJobEventJson) };
      const opened = await ctx.push.openJob(job, () => new SseSink(reply, sse));
      if (opened === 'ended') return reply.code(204).send();
      return reply;
    },
  });

  defineRoute(app, ctx, {
    method: 'GET',
    url: '/v1/events',
    access: 'tenant',
    summary: "Every event of the caller's tenant (or one queue), in the feed's order; as SSE, resumable by the cursor",
    tags: ['events'],
    query: eventFeedQuerySchema,
    headers: {
      [LAST_EVENT_ID]: 'The cursor of the last event the client has (what an EventSource sends when it reconnects)',
      Accept: `${EVENT_STREAM} for Server-Sent Events (id: the cursor, event: type, data: the event)`,
    },
    responses: {
      200: {
        description: 'A page of the feed (JSON), or the feed from the cursor on, for as long as the client stays (SSE)',
        schema: eventFeedPageSchema,
        alternatives: { [EVENT_STREAM]: undefined },
      },
      400: err('Malformed queue, type, after, limit or Last-Event-ID, or a cursor this server did not hand out'),
      501: NOT_SUPPORTED,
    },
    handler: async ({ query, caller, request, reply }) => {
      const lastEventId = headerOf(request, LAST_EVENT_ID);
      const feed = {
        tenant: readScope(caller),
        queue: query.queue,
        types: query.type,
        after: lastEventId === undefined ? query.after : parseOrThrow(feedCursorSchema, lastEventId, LAST_EVENT_ID),
        afterField: lastEventId === undefined ? 'after' : LAST_EVENT_ID,
      };
      if (!wantsStream(request)) {
        const page = await ctx.push.feedPage(feed, query.limit);
        return { events: page.events.map(toJobEventJson), cursor: page.cursor };
      }
      await ctx.push.openFeed(feed, () => new SseSink(reply, sse));
      return reply;
    },
  });
}

function wantsStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').toLowerCase().includes(EVENT_STREAM);
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
