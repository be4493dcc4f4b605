import type { Job } from './job.js';

/** The fields a list leaves out unless asked for: they are as large as a handler makes them. */
export const LIST_INCLUDES = ['input', 'output'] as const;
export type ListInclude = (typeof LIST_INCLUDES)[number];

/**
 * A job as `Backend.list` returns it: every field of a Job except `input` and `output`, which are
 * present only when the list's `include` named them (a page of 40 factorial results would otherwise
 * carry megabytes that a listing never shows). The sizes are always there, read by the storage
 * without reading the values: UTF-8 bytes of the stored JSON text, `outputBytes` 0 without output.
 */
export type ListedJob = Omit<Job, 'input' | 'output'> & {
  input?: unknown;
  output?: unknown;
  inputBytes: number;
  outputBytes: number;
};

/** True when the list asked for `field`. */
export function includes(include: readonly ListInclude[] | undefined, field: ListInclude): boolean {
  return include?.includes(field) ?? false;
}
