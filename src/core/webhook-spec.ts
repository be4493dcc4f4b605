import { z } from 'zod';
import { nameSchema } from './job-spec.js';
import { webhookEventsSchema, webhookUrlSchema } from './webhook-url.js';

/** POST /v1/webhooks: a tenant's endpoint for the events of all its jobs (or some queues'). */
export const endpointSpecSchema = z
  .object({
    url: webhookUrlSchema.describe('http(s) URL the events are POSTed to'),
    events: webhookEventsSchema.optional().describe('Event types to deliver (default job.succeeded, job.failed, job.cancelled)'),
    queues: z.array(nameSchema).min(1).max(100).optional().describe('Only events of jobs in these queues (default every queue)'),
  })
  .strict();

export type EndpointSpec = z.infer<typeof endpointSpecSchema>;
