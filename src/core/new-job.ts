import { newJobId } from './ids.js';
import type { BackoffPolicy } from './job.js';
import { DEFAULT_BACKOFF, DEFAULT_MAX_ATTEMPTS, DEFAULT_QUEUE, type JobSpec, jobSpecSchema } from './job-spec.js';
import { parseOrThrow } from './validate.js';

/**
 * A validated job ready for a backend to store. Time is left relative where the spec was relative
 * (`delayMs`) so that the backend applies its own clock.
 */
export interface NewJob {
  id: string;
  type: string;
  queue: string;
  input: unknown;
  priority: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  timeoutMs?: number;
  idempotencyKey?: string;
  metadata?: Record<string, unknown>;
  tenant?: string;
  /** Absolute time to run at (epoch ms), or ... */
  runAt?: number;
  /** ... a delay from the backend's "now". Neither: run at once. */
  delayMs?: number;
}

export interface NewJobOptions {
  tenant?: string | undefined;
  /** An idempotency key from outside the body (the Idempotency-Key header); the body's wins. */
  idempotencyKey?: string | undefined;
}

/** Validates a spec (throws ValidationError naming the field) and fills in defaults. */
export function toNewJob(spec: unknown, options: NewJobOptions = {}, fieldPrefix = ''): NewJob {
  const parsed = parseOrThrow(jobSpecSchema, spec, fieldPrefix);
  const job: NewJob = {
    id: newJobId(),
    type: parsed.type,
    queue: parsed.queue ?? DEFAULT_QUEUE,
    input: parsed.input === undefined ? null : parsed.input,
    priority: parsed.priority ?? 0,
    maxAttempts: parsed.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    backoff:
      parsed.backoff === undefined
        ? { ...DEFAULT_BACKOFF }
        : ({ ...DEFAULT_BACKOFF, ...stripUndefined(parsed.backoff) } as BackoffPolicy),
  };
  if (parsed.timeoutMs !== undefined) job.timeoutMs = parsed.timeoutMs;
  const key = parsed.idempotencyKey ?? options.idempotencyKey;
  if (key !== undefined) job.idempotencyKey = key;
  if (parsed.metadata !== undefined) job.metadata = parsed.metadata;
  if (options.tenant !== undefined) job.tenant = options.tenant;
  if (parsed.runAt !== undefined) job.runAt = typeof parsed.runAt === 'number' ? parsed.runAt : Date.parse(parsed.runAt);
  if (parsed.delayMs !== undefined) job.delayMs = parsed.delayMs;
  return job;
}

export type { JobSpec };

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
