import { z } from 'zod';
import { isJobId } from '../core/ids.js';
import { JOB_STATUSES } from '../core/job.js';
import { jobEventJsonSchema } from '../core/job-event-json.js';
import { jobJsonSchema } from '../core/job-json.js';
import { jobSpecSchema, keyStringSchema, LIMITS, nameSchema } from '../core/job-spec.js';
import { LIST_INCLUDES, type ListInclude } from '../core/listed-job.js';
import { listedJobJsonSchema } from '../core/listed-job-json.js';
import { EVENT_PAGE_LIMIT, JOB_EVENT_TYPES, type JobEventType } from '../core/ports/event-log.js';

/**
 * Zod schemas for the HTTP surface beyond the job spec itself: path parameters, query strings and
 * response envelopes. Routes validate with them and /openapi.json is generated from them, so the
 * documentation cannot drift from what the server accepts. Query values arrive as strings, hence
 * `queryNumber` for numbers; every object is strict so a misspelt parameter is a 400 naming it.
 */

export const LIST_LIMIT_MAX = 1000;
export const LIST_LIMIT_DEFAULT = 50;
export const REDRIVE_IDS_MAX = 1000;

/** Ids are stored in lowercase; an uppercase spelling of one names the same job. */
export const jobIdSchema = z
  .string()
  .refine(isJobId, { message: 'must be a job id (a UUID)' })
  .transform((id) => id.toLowerCase())
  .describe('Job id (UUID)');

/**
 * A number on the query string, in plain decimal only: `Number()` (and so `z.coerce`) also reads
 * `0x10`, `1e3` and ` 16 `, which no client means.
 */
function queryNumber<S extends z.ZodNumber>(inner: S) {
  return z.preprocess((value) => (typeof value === 'string' && DECIMAL_RE.test(value) ? Number(value) : value), inner);
}

const DECIMAL_RE = /^\d{1,15}(\.\d{1,6})?$/;

export const jobParamsSchema = z.object({ id: jobIdSchema }).strict();

export const queueParamsSchema = z.object({ name: nameSchema.describe('Queue name') }).strict();

/** `?wait=SECONDS` on GET /v1/jobs/{id}; the maximum is a server option. */
export function getJobQuerySchema(maxWaitSeconds: number) {
  return z
    .object({
      wait: queryNumber(z.number({ error: 'must be a decimal number of seconds' }).min(0).max(maxWaitSeconds))
        .optional()
        .describe(`Long-poll: wait up to this many seconds (0..${maxWaitSeconds}) for the job to end`),
    })
    .strict();
}

const limitSchema = queryNumber(z.number({ error: 'must be a whole decimal number' }).int().min(1).max(LIST_LIMIT_MAX))
  .default(LIST_LIMIT_DEFAULT)
  .describe(`Page size (1..${LIST_LIMIT_MAX}, default ${LIST_LIMIT_DEFAULT})`);

const cursorSchema = keyStringSchema.min(1).max(1024).describe('The nextCursor of the previous page');

/** `?include=input,output`: the large fields a list item carries as well (by default neither). */
const includeSchema = z
  .string()
  .max(100)
  .transform((value, ctx): ListInclude[] => {
    const names = value.split(',').map((name) => name.trim());
    const unknown = names.find((name) => !(LIST_INCLUDES as readonly string[]).includes(name));
    if (unknown !== undefined) {
      ctx.addIssue({ code: 'custom', message: `unknown field "${unknown}" (one of: ${LIST_INCLUDES.join(', ')})` });
      return z.NEVER;
    }
    return [...new Set(names as ListInclude[])];
  })
  .describe(`Also send these fields of each job, comma-separated: ${LIST_INCLUDES.join(', ')}`);

export const listJobsQuerySchema = z
  .object({
    queue: nameSchema.optional().describe('Only this queue'),
    status: z.enum(JOB_STATUSES).optional().describe('Only jobs in this state'),
    type: nameSchema.optional().describe('Only this job type'),
    limit: limitSchema,
    cursor: cursorSchema.optional(),
    include: includeSchema.optional(),
  })
  .strict();

export const dlqQuerySchema = z
  .object({
    queue: nameSchema.optional().describe('Only this queue'),
    type: nameSchema.optional().describe('Only this job type'),
    limit: limitSchema,
    cursor: cursorSchema.optional(),
    include: includeSchema.optional(),
  })
  .strict();

export const idempotencyHeaderSchema = keyStringSchema.min(1).max(LIMITS.idempotencyKeyMax);

export const redriveRequestSchema = z
  .object({
    queue: nameSchema.optional().describe('Only failed jobs of this queue'),
    type: nameSchema.optional().describe('Only failed jobs of this type'),
    ids: z.array(jobIdSchema).min(1).max(REDRIVE_IDS_MAX).optional().describe('Only these jobs'),
    limit: z.number().int().min(1).max(1_000_000).optional().describe('Move at most this many'),
    maxAttempts: jobSpecSchema.shape.maxAttempts.describe('The redriven jobs get this many attempts'),
    timeoutMs: jobSpecSchema.shape.timeoutMs.describe('The redriven jobs get this attempt timeout'),
  })
  .strict();

export const jobPageSchema = z.object({ jobs: z.array(listedJobJsonSchema), nextCursor: z.string().optional() });

export const bulkResultSchema = z.object({ jobs: z.array(jobJsonSchema) });

export const statusCountsSchema = z.object({
  scheduled: z.number().int(),
  queued: z.number().int(),
  running: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
});

export const queueJsonSchema = z.object({
  name: z.string(),
  paused: z.boolean(),
  counts: statusCountsSchema,
  oldestQueuedAgeMs: z.number().describe('Age of the oldest queued job in ms (0 when none): the lag'),
});

export const queueListSchema = z.object({ queues: z.array(queueJsonSchema) });

export const queueStateSchema = z.object({ name: z.string(), paused: z.boolean() });

export const redriveResultSchema = z.object({ redriven: z.number().int() });

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('Stable error code, e.g. SLUICE_VALIDATION'),
    message: z.string(),
    field: z.string().optional().describe('The input field at fault, as a dotted path (jobs.3.type)'),
  }),
});

export const healthSchema = z.object({ status: z.string() });

/** Any JSON value (the output of a job). */
export const anyJsonSchema = z.unknown().describe('The JSON output of the job');

/** A point in time on the query string: ISO 8601 (`2026-01-31T12:00:00Z`) or epoch milliseconds. */
const instantSchema = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const text = value.trim();
    const ms = /^\d{1,16}$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
    if (!Number.isSafeInteger(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time or epoch milliseconds' });
      return z.NEVER;
    }
    return ms;
  });

export const usageQuerySchema = z
  .object({
    queue: nameSchema.optional().describe('Only this queue'),
    tenant: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Only this tenant (admin keys; a tenant key may only name its own tenant and sees only its own usage)'),
    since: instantSchema.optional().describe('From this time, inclusive (ISO 8601 or epoch ms)'),
    until: instantSchema.optional().describe('Up to this time, exclusive (ISO 8601 or epoch ms)'),
  })
  .strict();

const usageCountsShape = {
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  totalTokens: z.number().int(),
  costUsd: z.number().describe("Dollars, from the providers' price tables (0 for calls without one)"),
  calls: z.number().int().describe('Provider calls counted (a batched embeddings call counts once per job it served)'),
};

export const usageTotalsSchema = z.object({
  ...usageCountsShape,
  since: z.string().optional().describe('The since filter, as ISO 8601'),
  until: z.string().optional().describe('The until filter, as ISO 8601'),
  byQueue: z.array(z.object({ queue: z.string(), ...usageCountsShape })),
  byTenant: z
    .array(z.object({ tenant: z.string().nullable().describe('null: jobs without a tenant'), ...usageCountsShape }))
    .optional()
    .describe('Absent when the answer is scoped to one tenant'),
  byProvider: z.array(z.object({ provider: z.string(), ...usageCountsShape })),
  byModel: z.array(z.object({ model: z.string(), ...usageCountsShape })),
});

/** A job's seq on the query string or in Last-Event-ID: plain decimal, 0 for "from the start". */
export const seqSchema = queryNumber(z.number({ error: 'must be a whole decimal number (a seq)' }).int().min(0));

const eventLimitSchema = queryNumber(z.number({ error: 'must be a whole decimal number' }).int().min(1).max(EVENT_PAGE_LIMIT))
  .default(EVENT_PAGE_LIMIT)
  .describe(`At most this many events (1..${EVENT_PAGE_LIMIT}, default ${EVENT_PAGE_LIMIT}); JSON only`);

export const jobEventsQuerySchema = z
  .object({
    after: seqSchema
      .optional()
      .describe('Only events with a higher seq (default 0: all). Last-Event-ID, when sent, wins: it is newer'),
    limit: eventLimitSchema,
  })
  .strict();

/** A feed cursor as a client sends it back; the backend says whether it is one of its own. */
export const feedCursorSchema = keyStringSchema.min(1).max(200);

/** `?type=job.progress,job.succeeded`: the event types to keep. */
const eventTypesSchema = z
  .string()
  .max(500)
  .transform((value, ctx): JobEventType[] => {
    const names = value.split(',').map((name) => name.trim());
    const unknown = names.find((name) => !(JOB_EVENT_TYPES as readonly string[]).includes(name));
    if (unknown !== undefined) {
      ctx.addIssue({ code: 'custom', message: `unknown event type "${unknown}" (one of: ${JOB_EVENT_TYPES.join(', ')})` });
      return z.NEVER;
    }
    return [...new Set(names as JobEventType[])];
  })
  .describe(`Only these event types, comma-separated: ${JOB_EVENT_TYPES.join(', ')}`);

export const eventFeedQuerySchema = z
  .object({
    queue: nameSchema.optional().describe('Only this queue'),
    type: eventTypesSchema.optional(),
    after: feedCursorSchema
      .optional()
      .describe(
        "Resume after this cursor (an event's cursor, a page's cursor); default: the oldest retained event. Last-Event-ID wins",
      ),
    limit: eventLimitSchema,
  })
  .strict();

export const jobEventListSchema = z.object({ events: z.array(jobEventJsonSchema) });

export const eventFeedPageSchema = z.object({
  events: z.array(jobEventJsonSchema),
  cursor: z.string().describe('Where the next read resumes (pass it as after)'),
});
