import { z } from 'zod';
import { JOB_EVENT_TYPES } from '../core/ports/event-log.js';
import { jobIdSchema } from './http-schemas.js';

/** The HTTP shapes of webhook endpoints and deliveries (the request bodies are core's). */

const eventTypes = z.array(z.enum(JOB_EVENT_TYPES));
const epochMs = z.number().int().describe('epoch ms');

export const endpointJsonSchema = z.object({
  id: z.string().describe('we_…'),
  url: z.string(),
  events: eventTypes,
  queues: z.array(z.string()).optional(),
  createdAt: epochMs,
  disabledAt: epochMs.optional().describe('Set when the receiver answered 410 Gone: nothing more is sent to it'),
  disabledReason: z.string().optional(),
});

export const createdEndpointSchema = endpointJsonSchema.extend({
  secret: z
    .string()
    .optional()
    .describe(
      "The tenant's signing secret (whsec_…) its receivers verify with; absent when it is the operator's SLUICE_WEBHOOK_SECRET",
    ),
});

export const endpointListSchema = z.object({ webhooks: z.array(endpointJsonSchema) });

export const endpointParamsSchema = z.object({ id: z.string().min(1).max(64).describe('Endpoint id (we_…)') }).strict();

export const rotateSecretBodySchema = z
  .object({
    overlapMs: z
      .number()
      .int()
      .min(0)
      .max(30 * 24 * 3_600_000)
      .optional()
      .describe('How long the old secret keeps signing (default SLUICE_WEBHOOK_ROTATION_OVERLAP_MS, 24 h)'),
  })
  .strict();

export const rotatedSecretSchema = z.object({
  secret: z.string().describe('The new signing secret (whsec_…)'),
  previousValidUntil: epochMs.describe('Until then deliveries carry a signature by the old secret too'),
});

export const deliveryJsonSchema = z.object({
  id: z.string().describe('The webhook-id header of every attempt (msg_…)'),
  jobId: z.string(),
  endpointId: z.string().optional().describe("The tenant endpoint; absent for the job's own webhook"),
  url: z.string(),
  event: z.object({ seq: z.number().int(), type: z.enum(JOB_EVENT_TYPES) }),
  status: z.enum(['pending', 'delivered', 'failed', 'gone']),
  attempts: z.array(
    z.object({
      at: epochMs,
      statusCode: z.number().int().optional().describe("The receiver's HTTP status; absent when none came"),
      latencyMs: z.number().int(),
      error: z.string().optional(),
    }),
  ),
  createdAt: epochMs,
  deliveryJobId: z.string().optional(),
});

export const deliveryListSchema = z.object({ deliveries: z.array(deliveryJsonSchema) });

export const deliveryParamsSchema = z
  .object({ id: jobIdSchema, deliveryId: z.string().min(1).max(64).describe('Delivery id (msg_…)') })
  .strict();
