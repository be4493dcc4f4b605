import { z } from 'zod';
import type { Job } from './job.js';
import { type JobJson, jobErrorJsonSchema, jobJsonSchema, toJobJson } from './job-json.js';
import type { ListedJob } from './listed-job.js';

/** Longest error message a list item carries; the job itself (GET /v1/jobs/{id}) has all of it. */
export const LISTED_ERROR_MESSAGE_MAX = 500;

/**
 * A job as a list (GET /v1/jobs, GET /v1/dlq) sends it: the job's JSON without input and output
 * unless `include` asked for them, the byte sizes of both always, and the error message cut to
 * LISTED_ERROR_MESSAGE_MAX characters (a stack trace in a message should not make a page large).
 * Metadata stays: it is what callers label and find jobs by.
 */
export const listedJobJsonSchema = jobJsonSchema.extend({
  input: z.unknown().optional().describe('Only with include=input'),
  output: z.unknown().optional().describe('Only with include=output (and when the job has one)'),
  error: jobErrorJsonSchema.extend({ truncated: z.boolean().optional().describe('The message was cut') }).optional(),
  inputBytes: z.number().int().describe('Size of the input as stored JSON, in bytes'),
  outputBytes: z.number().int().describe('Size of the output as stored JSON, in bytes (0 without output)'),
});

export type ListedJobJson = z.infer<typeof listedJobJsonSchema>;

export function toListedJobJson(job: ListedJob): ListedJobJson {
  // toJobJson reads input and output as given: absent ones stay absent once `input` is dropped.
  const { input, ...rest }: JobJson = toJobJson(job as Job);
  const json: ListedJobJson = { ...rest, inputBytes: job.inputBytes, outputBytes: job.outputBytes };
  if ('input' in job) json.input = input;
  if (job.error !== undefined && job.error.message.length > LISTED_ERROR_MESSAGE_MAX) {
    json.error = { ...job.error, message: `${job.error.message.slice(0, LISTED_ERROR_MESSAGE_MAX)}…`, truncated: true };
  }
  return json;
}
