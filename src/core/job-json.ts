import { z } from 'zod';
import { JOB_STATUSES, type Job } from './job.js';

/** A job as JSON on the wire (HTTP, SDK, CLI): timestamps as ISO 8601 strings. */
export const jobErrorJsonSchema = z.object({
  code: z.string(),
  message: z.string(),
  permanent: z.boolean().optional(),
});

export const jobJsonSchema = z.object({
  id: z.string(),
  type: z.string(),
  queue: z.string(),
  status: z.enum(JOB_STATUSES),
  input: z.unknown(),
  output: z.unknown().optional(),
  error: jobErrorJsonSchema.optional(),
  progress: z.unknown().optional(),
  priority: z.number().int(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  timeoutMs: z.number().int().optional(),
  idempotencyKey: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  createdAt: z.string(),
  runAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  updatedAt: z.string(),
});

export type JobJson = z.infer<typeof jobJsonSchema>;

export function toJobJson(job: Job): JobJson {
  const json: JobJson = {
    id: job.id,
    type: job.type,
    queue: job.queue,
    status: job.status,
    input: job.input,
    priority: job.priority,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    createdAt: iso(job.createdAt),
    runAt: iso(job.runAt),
    updatedAt: iso(job.updatedAt),
  };
  if (job.output !== undefined) json.output = job.output;
  if (job.error !== undefined) json.error = job.error;
  if (job.progress !== undefined) json.progress = job.progress;
  if (job.timeoutMs !== undefined) json.timeoutMs = job.timeoutMs;
  if (job.idempotencyKey !== undefined) json.idempotencyKey = job.idempotencyKey;
  if (job.metadata !== undefined) json.metadata = job.metadata;
  if (job.startedAt !== undefined) json.startedAt = iso(job.startedAt);
  if (job.finishedAt !== undefined) json.finishedAt = iso(job.finishedAt);
  return json;
}

/**
 * The last conversion, kept: a job's createdAt, runAt and updatedAt are usually the same instant,
 * and so are those of every job of one bulk call (one Date and one string instead of one per field).
 */
let lastMs = Number.NaN;
let lastIso = '';

function iso(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}
