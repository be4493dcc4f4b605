import { z } from 'zod';
import { type FeedEvent, JOB_EVENT_TYPES, type JobEvent, TERMINAL_EVENT_TYPES } from './ports/event-log.js';

/**
 * A job event as JSON on the wire (HTTP, SSE, WebSocket, SDK, CLI): `at` as ISO 8601 like the job's
 * own timestamps; `data` as stored (ports/event-log.ts says what each type holds). Feed events also
 * carry their `cursor`, the position a reader resumes after.
 */
export const jobEventJsonSchema = z.object({
  seq: z.number().int().describe("The job's own sequence number: 1, 2, 3… with no gaps"),
  jobId: z.string(),
  type: z.enum(JOB_EVENT_TYPES),
  at: z.string().describe('When the change was made (ISO 8601)'),
  attempt: z.number().int().optional().describe('The attempt the event belongs to'),
  data: z.unknown().optional().describe("The type's data (job.output.delta: {chunks}; job.progress: {progress}; …)"),
  queue: z.string(),
  tenant: z.string().optional(),
  cursor: z.string().optional().describe('Feed events only: resume after this (the SSE id of /v1/events)'),
});

export type JobEventJson = z.infer<typeof jobEventJsonSchema>;

export function toJobEventJson(event: JobEvent | FeedEvent): JobEventJson {
  const json: JobEventJson = {
    seq: event.seq,
    jobId: event.jobId,
    type: event.type,
    at: new Date(event.at).toISOString(),
    queue: event.queue,
  };
  if (event.attempt !== undefined) json.attempt = event.attempt;
  if (event.data !== undefined) json.data = event.data;
  if (event.tenant !== undefined) json.tenant = event.tenant;
  if ('cursor' in event) json.cursor = event.cursor;
  return json;
}

/** True for the events after which a job changes no more (until a redrive): a job's stream ends there. */
export function isTerminalEvent(type: string): boolean {
  return (TERMINAL_EVENT_TYPES as readonly string[]).includes(type);
}
