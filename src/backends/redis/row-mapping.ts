import { backoffText } from '../../core/backoff-text.js';
import type { BackoffPolicy, ClaimedJob, Job, JobError, JobStatus } from '../../core/job.js';
import type { ListedJob } from '../../core/listed-job.js';
import type { NewJob } from '../../core/new-job.js';
import type { JobEvent, JobEventType } from '../../core/ports/event-log.js';
import { ENQUEUE_ARITY, FIELDS } from './lua.js';

/** A job hash as a script returns it: the values of FIELDS in order, null where a field is absent. */
export type JobRow = Array<string | null>;

const at = Object.fromEntries(FIELDS.map((name, i) => [name, i])) as Record<(typeof FIELDS)[number], number>;

function field(row: JobRow, name: (typeof FIELDS)[number]): string | null {
  return row[at[name]] ?? null;
}

/** True when the row is a job (a missing job reads as a row of nulls). */
/** The request hash stored with a job (absent: none). */
export function requestHashOf(row: JobRow): string | undefined {
  return field(row, 'rh') ?? undefined;
}

export function rowExists(row: JobRow | null | undefined): row is JobRow {
  return Array.isArray(row) && field(row, 'id') !== null;
}

/** Optional strings travel as '' (absent) or '+value' (see lua.ts). */
export function optArg(value: string | undefined): string {
  return value === undefined ? '' : `+${value}`;
}

/** JSON text for a stored value; '' (absent) for undefined, which has no JSON form. */
export function jsonArg(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value);
}

/**
 * Appends the enqueue script's ENQUEUE_ARITY arguments for one job to `args` and returns the input's
 * JSON text. One argument array serves the whole call: an enqueue is hot, and an array per job
 * flattened into the call's arguments cost more than the script's own work on the client.
 */
export function pushEnqueueArgs(args: string[], job: NewJob, feedOrder: string): string {
  const start = args.length;
  const input = job.inputJson;
  args.push(
    job.id,
    job.type,
    input,
    String(job.priority),
    String(job.maxAttempts),
    backoffText(job.backoff),
    job.timeoutMs === undefined ? '' : String(job.timeoutMs),
    optArg(job.idempotencyKey),
    job.metadataJson ?? '',
    optArg(job.tenant),
    job.runAt === undefined ? '' : String(job.runAt),
    String(Math.max(0, job.delayMs ?? 0)),
    optArg(job.requestHash),
    feedOrder,
  );
  if (args.length - start !== ENQUEUE_ARITY) throw new Error('pushEnqueueArgs is out of step with the enqueue script');
  return input;
}

/**
 * The Job a fresh enqueue stored, built without reading it back (enqueue is hot): the hash holds
 * exactly these values. Input is parsed from the JSON text the script stored (`inputText`), so the
 * result equals what `get` returns later.
 */
export function insertedJob(job: NewJob, now: number, inputText: string): Job {
  const runAt = job.runAt ?? now + Math.max(0, job.delayMs ?? 0);
  const stored: Job = {
    id: job.id,
    type: job.type,
    queue: job.queue,
    status: runAt > now ? 'scheduled' : 'queued',
    input: JSON.parse(inputText),
    priority: job.priority,
    attempts: 0,
    maxAttempts: job.maxAttempts,
    backoff: { ...job.backoff },
    createdAt: now,
    runAt,
    updatedAt: now,
  };
  if (job.timeoutMs !== undefined) stored.timeoutMs = job.timeoutMs;
  if (job.idempotencyKey !== undefined) stored.idempotencyKey = job.idempotencyKey;
  if (job.metadataJson !== undefined) stored.metadata = JSON.parse(job.metadataJson);
  if (job.tenant !== undefined) stored.tenant = job.tenant;
  return stored;
}

/**
 * Row -> Job. Optional fields are absent (not undefined) when the hash lacks them. A due `scheduled`
 * job (promoted lazily by the next claim) reads as `queued` when `now` is given.
 */
export function rowToJob(row: JobRow, now?: number): Job {
  const status = field(row, 'st') as JobStatus;
  const runAt = Number(field(row, 'rAt'));
  const job: Job = {
    id: field(row, 'id')!,
    type: field(row, 'type')!,
    queue: field(row, 'q')!,
    status: status === 'scheduled' && now !== undefined && runAt <= now ? 'queued' : status,
    input: JSON.parse(field(row, 'in') ?? 'null'),
    priority: Number(field(row, 'pri')),
    attempts: Number(field(row, 'att')),
    maxAttempts: Number(field(row, 'max')),
    backoff: JSON.parse(field(row, 'bo')!) as BackoffPolicy,
    createdAt: Number(field(row, 'cAt')),
    runAt,
    updatedAt: Number(field(row, 'uAt')),
  };
  const output = field(row, 'out');
  if (output !== null) job.output = JSON.parse(output);
  const error = field(row, 'err');
  if (error !== null) job.error = JSON.parse(error) as JobError;
  const progress = field(row, 'prog');
  if (progress !== null) job.progress = JSON.parse(progress);
  const timeoutMs = field(row, 'to');
  if (timeoutMs !== null) job.timeoutMs = Number(timeoutMs);
  const key = field(row, 'ik');
  if (key !== null) job.idempotencyKey = key;
  const metadata = field(row, 'md');
  if (metadata !== null) job.metadata = JSON.parse(metadata);
  const tenant = field(row, 'ten');
  if (tenant !== null) job.tenant = tenant;
  const startedAt = field(row, 'sAt');
  if (startedAt !== null) job.startedAt = Number(startedAt);
  const finishedAt = field(row, 'fAt');
  if (finishedAt !== null) job.finishedAt = Number(finishedAt);
  return job;
}

/**
 * A row of the list script -> ListedJob: the job hash's fields (in and out absent unless the list
 * asked for them) followed by the byte sizes of in and out.
 */
export function rowToListedJob(row: JobRow, now: number): ListedJob {
  const { input: _input, ...summary } = rowToJob(row, now);
  const job = summary as ListedJob;
  if (field(row, 'in') !== null) job.input = _input;
  job.inputBytes = Number(row[FIELDS.length]);
  job.outputBytes = Number(row[FIELDS.length + 1]);
  return job;
}

/** Row of a job a claim just leased -> ClaimedJob. */
export function rowToClaimedJob(row: JobRow): ClaimedJob {
  return {
    ...rowToJob(row),
    status: 'running',
    leaseToken: field(row, 'lt')!,
    leaseExpiresAt: Number(field(row, 'lx')),
    workerId: field(row, 'wid')!,
  };
}

/** The seq a write script put after a job's row (the newest event it logged for the job). */
export function seqAfterRow(row: JobRow): number {
  return Number(row[FIELDS.length]);
}

/** An event as a script stores it in the job's log (lua/prelude.lua, logEvent). */
interface StoredEvent {
  type: JobEventType;
  at: number;
  attempt?: number;
  data?: unknown;
}

/** A stored event's JSON -> JobEvent, with what its place tells: seq, job, queue, tenant. */
export function toJobEvent(
  json: string,
  where: { seq: number; jobId: string; queue: string; tenant: string | null | undefined },
): JobEvent {
  const stored = JSON.parse(json) as StoredEvent;
  const event: JobEvent = { seq: where.seq, jobId: where.jobId, type: stored.type, at: stored.at, queue: where.queue };
  if (stored.attempt !== undefined) event.attempt = stored.attempt;
  if (stored.data !== undefined) event.data = stored.data;
  if (where.tenant !== null && where.tenant !== undefined) event.tenant = where.tenant;
  return event;
}
