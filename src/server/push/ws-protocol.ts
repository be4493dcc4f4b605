import { z } from 'zod';
import { nameSchema } from '../../core/job-spec.js';
import { JOB_EVENT_TYPES } from '../../core/ports/event-log.js';
import { feedCursorSchema, jobIdSchema } from '../http-schemas.js';

/**
 * The WebSocket protocol of GET /v1/ws (docs/push.md): JSON text frames. The client subscribes to a
 * job or a queue, each with a resume cursor, and unsubscribes; the server answers each request,
 * sends the events of every subscription, and an error frame naming the field of a bad request.
 */

/** A subscription's target as the client names it: one job, or one queue of the caller's tenant. */
const targetShape = {
  job: jobIdSchema.optional().describe('A job id: its events, ending after its terminal event'),
  queue: nameSchema.optional().describe("A queue: every event of the caller's tenant in it"),
};

export const subscribeMessageSchema = z
  .object({
    op: z.literal('subscribe'),
    ...targetShape,
    /** job: the seq the client has (default 0); queue: a feed cursor (default: the oldest retained event). */
    after: z.union([z.number().int().min(0), feedCursorSchema]).optional(),
    /** queue only: just these event types. */
    types: z.array(z.enum(JOB_EVENT_TYPES)).min(1).max(JOB_EVENT_TYPES.length).optional(),
  })
  .strict();

export const unsubscribeMessageSchema = z.object({ op: z.literal('unsubscribe'), ...targetShape }).strict();

export const WS_OPS = ['subscribe', 'unsubscribe'] as const;

/** A subscription's key: `job:ID` or `queue:NAME` (one subscription per target and connection). */
export type Target = { job: string } | { queue: string };

/** What the server sends. */
export type ServerFrame =
  | ({ op: 'subscribed' } & Target)
  | ({ op: 'unsubscribed' } & Target)
  | ({ op: 'event'; id: string; event: unknown } & Target)
  | ({ op: 'end' } & Target)
  | ({ op: 'error'; error: { code: string; message: string; field?: string } } & Partial<Target>);

/** Close codes the server sends (a client that fell behind is dropped without one: it is not reading). */
export const WS_CLOSE = { goingAway: 1001 } as const;

/** Largest frame a client may send (a subscribe is small). */
export const WS_MAX_MESSAGE_BYTES = 16 * 1024;
