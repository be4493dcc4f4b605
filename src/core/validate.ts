import type { z } from 'zod';
import { ValidationError } from './errors.js';

/** Parses `value` with `schema`, turning the first zod issue into a ValidationError that names the
 * field by its dotted path (`priority`, `jobs.3.type`). */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, fieldPrefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [fieldPrefix, ...(issue?.path ?? []).map(String)].filter((p) => p !== '').join('.');
  const unknownKeys = issue?.code === 'unrecognized_keys' ? issue.keys : undefined;
  if (unknownKeys && unknownKeys.length > 0) {
    const field = [path, unknownKeys[0]].filter((p) => p !== '').join('.');
    throw new ValidationError(`unknown field "${field}"`, field);
  }
  const field = path === '' ? undefined : path;
  throw new ValidationError(field ? `${field}: ${issue?.message ?? 'invalid'}` : (issue?.message ?? 'invalid request'), field);
}
