import { z } from 'zod';
import type { BackoffPolicy } from './job.js';
import { badStringReason } from './json-bounds.js';
import { webhookEventsSchema, webhookUrlSchema } from './webhook-url.js';

/**
 * The one schema for a job request. The HTTP server validates with it, the SDK and CLI take their
 * types from it, and /openapi.json is generated from it.
 */
export const LIMITS = {
  priorityMin: -1000,
  priorityMax: 1000,
  maxAttempts: 100,
  maxDelayMs: 365 * 24 * 3600 * 1000,
  maxTimeoutMs: 24 * 3600 * 1000,
  bulkMax: 1000,
  nameMax: 128,
  idempotencyKeyMax: 255,
  /** The largest epoch ms a JavaScript Date can hold (±100,000,000 days around 1970). */
  maxEpochMs: 8.64e15,
} as const;

/** A string kept as a key: no NUL, no lone surrogate (see badStringReason). */
export const keyStringSchema = z.string().superRefine((value, ctx) => {
  const reason = badStringReason(value);
  if (reason) ctx.addIssue({ code: 'custom', message: reason });
});

/** ISO 8601 with an offset, and a real time (zod's pattern alone lets `2026-02-31` through). */
const isoInstantSchema = z.iso
  .datetime({ offset: true })
  .refine((text) => Number.isFinite(Date.parse(text)), 'must be a real date and time');

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

export const nameSchema = z
  .string()
  .min(1)
  .max(LIMITS.nameMax)
  .regex(NAME_RE, 'must start with a letter or digit and contain only letters, digits, _ . : -');

/** Backoff as a client may give it: every field optional, defaults filled by toNewJob. */
export const backoffSchema = z
  .object({
    type: z.enum(['exponential', 'fixed']).optional(),
    delayMs: z.number().int().min(0).max(LIMITS.maxDelayMs).optional(),
    maxDelayMs: z.number().int().min(0).max(LIMITS.maxDelayMs).optional(),
    jitter: z.enum(['full', 'none']).optional(),
  })
  .strict();

/** A job's own webhook: where its events are delivered, signed (Standard Webhooks). */
export const jobWebhookSchema = z
  .object({
    url: webhookUrlSchema.describe(
      'http(s) URL the events are POSTed to; refused when its host resolves to a private, loopback or link-local address',
    ),
    events: webhookEventsSchema
      .optional()
      .describe('Event types to deliver (default the terminal ones: job.succeeded, job.failed, job.cancelled)'),
  })
  .strict();

export const DEFAULT_BACKOFF: BackoffPolicy = { type: 'exponential', delayMs: 1000, maxDelayMs: 5 * 60_000, jitter: 'full' };
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_QUEUE = 'default';

export const jobSpecSchema = z
  .object({
    type: nameSchema.describe('Handler that runs the job, e.g. "math"'),
    input: z.unknown().optional().describe('JSON input for the handler'),
    queue: nameSchema.optional().describe('Queue name (default "default")'),
    priority: z
      .number()
      .int()
      .min(LIMITS.priorityMin)
      .max(LIMITS.priorityMax)
      .optional()
      .describe('Higher runs first (default 0)'),
    delayMs: z.number().int().min(0).max(LIMITS.maxDelayMs).optional().describe('Run no earlier than this many ms from now'),
    runAt: z
      .union([isoInstantSchema, z.number().int().min(0).max(LIMITS.maxEpochMs)])
      .optional()
      .describe('Run no earlier than this time (ISO 8601 or epoch ms)'),
    maxAttempts: z.number().int().min(1).max(LIMITS.maxAttempts).optional().describe('Attempts before the job fails (default 3)'),
    backoff: backoffSchema.optional().describe('Retry backoff (default exponential 1s, cap 5min, full jitter)'),
    timeoutMs: z.number().int().min(1).max(LIMITS.maxTimeoutMs).optional().describe('Abort an attempt after this many ms'),
    idempotencyKey: keyStringSchema
      .min(1)
      .max(LIMITS.idempotencyKeyMax)
      .optional()
      .describe('A repeat with the same key (per queue) returns the first job'),
    metadata: z.record(z.string(), z.unknown()).optional().describe('Free-form JSON kept with the job'),
    webhook: jobWebhookSchema.optional().describe("Deliver this job's events to a URL (signed, retried for up to a day)"),
  })
  .strict()
  .refine((spec) => spec.delayMs === undefined || spec.runAt === undefined, {
    message: 'give delayMs or runAt, not both',
    path: ['runAt'],
  });

export type JobSpec = z.input<typeof jobSpecSchema>;

export const bulkSpecSchema = z.object({ jobs: z.array(jobSpecSchema).min(1).max(LIMITS.bulkMax) }).strict();
