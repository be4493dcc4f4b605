import type { JobError, JobStatus } from '../job.js';

/**
 * The event log role (declared by `capabilities.eventLog`; DESIGN.md invariant 8).
 *
 * Every change of a job appends its event(s) in the same atomic step as the change itself (the
 * statement, transaction or script that makes it): what a client streams, a webhook delivers and
 * the dashboard shows is this log, so each of them can resume from a position without a gap or a
 * duplicate. Events go with their job when retention deletes it.
 *
 * Two orders:
 * - per job, `seq` is 1, 2, 3… with no gaps, in the order of the job's changes;
 * - per backend, the feed's opaque `cursor` orders every event of every job: a reader that resumes
 *   after a cursor gets every event appended after it, each once (on PostgreSQL a transaction that
 *   commits late is not skipped; on Redis Cluster the cursor spans the masters).
 */
export interface EventLogStore {
  /**
   * A job's events with `seq > after` (default 0), oldest first, at most `limit` (default and most
   * EVENT_PAGE_LIMIT). `null` when the job is unknown, purged, or not the given tenant's.
   */
  jobEvents(params: JobEventsParams): Promise<JobEvent[] | null>;
  /**
   * The backend-wide feed after `after` (undefined: from the oldest retained event), oldest first,
   * filtered by tenant, queue and type, at most `limit` events. The page's `cursor` is where the
   * next read resumes (past the events it scanned, also those the filters left out); `limit: 0`
   * returns no events and the cursor of the feed's current end ("from now on"). A cursor this
   * backend did not hand out is a ValidationError naming `after`.
   */
  feed(params: FeedParams): Promise<FeedPage>;
  /**
   * Appends output chunks of a running attempt as one `job.output.delta` event (`data.chunks`, in
   * order), fenced by the lease token: throws LeaseLostError when the token is not current.
   */
  appendOutput(params: AppendOutputParams): Promise<JobEvent>;
}

/** The event types. `job.released` and `job.redriven` are Sluice's additions to DESIGN.md's list. */
export const JOB_EVENT_TYPES = [
  'job.created',
  'job.scheduled',
  'job.started',
  'job.progress',
  'job.output.delta',
  'job.retrying',
  'job.succeeded',
  'job.failed',
  'job.cancelled',
  'job.lost',
  'job.released',
  'job.redriven',
] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/** The events after which a job changes no more (until a redrive). */
export const TERMINAL_EVENT_TYPES: readonly JobEventType[] = ['job.succeeded', 'job.failed', 'job.cancelled'];

/** Most events one read returns. */
export const EVENT_PAGE_LIMIT = 1_000;

/**
 * What each event's `data` holds (absent fields are left out, never null):
 * - `job.created`: `{ type, status, runAt, priority }` (status `queued` or `scheduled`);
 * - `job.scheduled`: `{ runAt }`, right after `job.created` for a job that waits for its runAt;
 * - `job.started`: `{ workerId, leaseExpiresAt }`, `attempt` = the attempt it starts;
 * - `job.progress`: `{ progress }`;
 * - `job.output.delta`: `{ chunks }`, the chunks of one `appendOutput`, in order;
 * - `job.retrying`: `{ error, runAt }` (the attempt failed; the next one is due at runAt);
 * - `job.succeeded`: `{ output }`;
 * - `job.failed`: `{ error }`;
 * - `job.cancelled`: `{ from }`, the status it was cancelled from;
 * - `job.lost`: `{ error, status }`: the attempt's lease expired and the reaper took the job back,
 *   to `status` (`queued`, or `failed` when out of attempts: then `job.failed` follows);
 * - `job.released`: `{}`: a worker gave the job back without counting the attempt (shutdown);
 * - `job.redriven`: `{ runAt }`: a failed job was put back by a redrive.
 */
export interface JobEventData {
  'job.created': { type: string; status: Extract<JobStatus, 'queued' | 'scheduled'>; runAt: number; priority: number };
  'job.scheduled': { runAt: number };
  'job.started': { workerId: string; leaseExpiresAt: number };
  'job.progress': { progress: unknown };
  'job.output.delta': { chunks: unknown[] };
  'job.retrying': { error: JobError; runAt: number };
  'job.succeeded': { output: unknown };
  'job.failed': { error: JobError };
  'job.cancelled': { from: JobStatus };
  'job.lost': { error: JobError; status: Extract<JobStatus, 'queued' | 'failed'> };
  'job.released': Record<string, never>;
  'job.redriven': { runAt: number };
}

/** One stored change of a job. */
export interface JobEvent {
  /** The job's own sequence number: 1 for `job.created`, then +1 per event, no gaps. */
  seq: number;
  jobId: string;
  type: JobEventType;
  /** When the change was made, epoch ms (the store's clock). */
  at: number;
  /** The attempt the event belongs to (started, progress, delta, retrying, succeeded, failed,
   * lost, released; cancelled while running). */
  attempt?: number;
  data?: unknown;
  queue: string;
  /** The job's tenant, when it has one. */
  tenant?: string;
}

/** An event as the feed returns it: with its position in the backend-wide order. */
export interface FeedEvent extends JobEvent {
  cursor: string;
}

export interface JobEventsParams {
  id: string;
  /** Only the events of this tenant's job (another tenant's job reads as unknown: `null`). */
  tenant?: string | undefined;
  after?: number | undefined;
  limit?: number | undefined;
}

export interface FeedParams {
  /** A cursor a previous page returned; undefined: from the oldest retained event. */
  after?: string | undefined;
  tenant?: string | undefined;
  queue?: string | undefined;
  types?: readonly JobEventType[] | undefined;
  /** At most this many events (at most EVENT_PAGE_LIMIT); 0: only the current end's cursor. */
  limit: number;
}

export interface FeedPage {
  events: FeedEvent[];
  /** Where the next read resumes. */
  cursor: string;
}

export interface AppendOutputParams {
  id: string;
  leaseToken: string;
  chunks: unknown[];
}
