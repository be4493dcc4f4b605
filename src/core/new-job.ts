import { ValidationError } from './errors.js';
import { newJobId } from './ids.js';
import type { BackoffPolicy } from './job.js';
import { DEFAULT_BACKOFF, DEFAULT_MAX_ATTEMPTS, DEFAULT_QUEUE, type JobSpec, jobSpecSchema, LIMITS } from './job-spec.js';
import { toBoundedJson } from './json-bounds.js';
import type { JobEventType } from './ports/event-log.js';
import { requestHash } from './request-hash.js';
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
  /** `input` as the JSON text to store, serialised once here (adapters store it as it is). */
  inputJson: string;
  priority: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  timeoutMs?: number;
  idempotencyKey?: string;
  /** With an idempotency key: the fingerprint of the request (see requestHash), kept with the job. */
  requestHash?: string;
  metadata?: Record<string, unknown>;
  /** `metadata` as JSON text, when there is metadata. */
  metadataJson?: string;
  tenant?: string;
  /** The job's own webhook (its events, signed, to a URL), when the spec has one. */
  webhook?: { url: string; events?: JobEventType[] };
  /** Absolute time to run at (epoch ms), or ... */
  runAt?: number;
  /** ... a delay from the backend's "now". Neither: run at once. */
  delayMs?: number;
}

export interface NewJobOptions {
  tenant?: string | undefined;
  /** An idempotency key from outside the body (the Idempotency-Key header); the body's wins. */
  idempotencyKey?: string | undefined;
  /**
   * "Now" (epoch ms) to bound an absolute `runAt` by: no further than LIMITS.maxDelayMs either side
   * of it. Without it only the range a Date can hold applies (the backend's clock decides "now").
   */
  now?: number | undefined;
}

/**
 * Validates a spec (throws ValidationError naming the field), fills in defaults and serialises its
 * input and metadata. All of it happens here, per job, before jobs share a write: a write then fails
 * only for reasons outside the request.
 */
export function toNewJob(spec: unknown, options: NewJobOptions = {}, fieldPrefix = ''): NewJob {
  // Bounded (and serialised) first: the schema's own work on an unbounded value is the cost being bounded.
  let inputJson = 'null';
  let metadataJson: string | undefined;
  if (typeof spec === 'object' && spec !== null) {
    const { input, metadata } = spec as { input?: unknown; metadata?: unknown };
    if (input !== undefined) inputJson = toBoundedJson(input, prefixed(fieldPrefix, 'input'));
    if (metadata !== undefined) metadataJson = toBoundedJson(metadata, prefixed(fieldPrefix, 'metadata'));
  }
  const parsed = parseOrThrow(jobSpecSchema, spec, fieldPrefix);
  const input = parsed.input === undefined ? null : parsed.input;
  const job: NewJob = {
    id: newJobId(),
    type: parsed.type,
    queue: parsed.queue ?? DEFAULT_QUEUE,
    input,
    inputJson,
    priority: parsed.priority ?? 0,
    maxAttempts: parsed.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    backoff:
      parsed.backoff === undefined
        ? { ...DEFAULT_BACKOFF }
        : ({ ...DEFAULT_BACKOFF, ...stripUndefined(parsed.backoff) } as BackoffPolicy),
  };
  if (parsed.timeoutMs !== undefined) job.timeoutMs = parsed.timeoutMs;
  const key = parsed.idempotencyKey ?? options.idempotencyKey;
  if (key !== undefined) {
    job.idempotencyKey = key;
    const { idempotencyKey: _key, ...what } = parsed;
    job.requestHash = requestHash(what);
  }
  if (parsed.metadata !== undefined) {
    job.metadata = parsed.metadata;
    job.metadataJson = metadataJson ?? JSON.stringify(parsed.metadata);
  }
  if (options.tenant !== undefined) job.tenant = options.tenant;
  if (parsed.webhook !== undefined) job.webhook = stripUndefined(parsed.webhook) as NonNullable<NewJob['webhook']>;
  if (parsed.runAt !== undefined) job.runAt = runAtOf(parsed.runAt, options.now, prefixed(fieldPrefix, 'runAt'));
  if (parsed.delayMs !== undefined) job.delayMs = parsed.delayMs;
  return job;
}

export type { JobSpec };

/** Epoch ms of a valid runAt, within LIMITS.maxDelayMs of `now` when it is given. */
function runAtOf(runAt: string | number, now: number | undefined, field: string): number {
  const ms = typeof runAt === 'number' ? runAt : Date.parse(runAt);
  if (!Number.isSafeInteger(ms) || Math.abs(ms) > LIMITS.maxEpochMs) {
    throw new ValidationError(`${field}: outside the range of a date`, field);
  }
  if (now !== undefined && Math.abs(ms - now) > LIMITS.maxDelayMs) {
    throw new ValidationError(`${field}: must be within ${LIMITS.maxDelayMs / 86_400_000} days of now`, field);
  }
  return ms;
}

function prefixed(prefix: string, field: string): string {
  return prefix === '' ? field : `${prefix}.${field}`;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
