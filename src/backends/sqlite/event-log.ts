import type Database from 'better-sqlite3';
import type { CommitEvents } from '../../core/commit-events.js';
import { ValidationError } from '../../core/errors.js';
import { type EventDraft, toJobEvents } from '../../core/job-events.js';
import {
  EVENT_PAGE_LIMIT,
  type FeedEvent,
  type FeedPage,
  type FeedParams,
  type JobEvent,
  type JobEventsParams,
  type JobEventType,
} from '../../core/ports/event-log.js';
import * as sql from './sql/event-log.js';

/** A job as its events name it: the columns every write reads back with RETURNING. */
export interface EventJob {
  id: string;
  queue: string;
  tenant: string | null;
}

/** Positional parameters of EVENT_INSERT, in column order. */
type EventInsertArgs = [
  jobId: string,
  seq: number,
  type: JobEventType,
  at: number,
  attempt: number | null,
  data: string | null,
  queue: string,
  tenant: string | null,
];

interface EventRow {
  position: number;
  job_id: string;
  seq: number;
  type: JobEventType;
  at: number;
  attempt: number | null;
  data: string | null;
  queue: string;
  tenant: string | null;
}

/** Most events a filtered feed page reads, matching or not (a filter that matches nothing). */
export const FEED_SCAN_ROWS = 10 * EVENT_PAGE_LIMIT;

/**
 * The event log on the `job_events` table (schema migration 5). Appends run inside the caller's
 * write transaction, one prepared INSERT per event; reads run inside the caller's read transaction.
 * The job's newest seq lives in `jobs.last_seq`, bumped by the write's own UPDATE (or set by the
 * INSERT of an enqueue), so numbering costs no statement.
 */
export class SqliteEventLog {
  private readonly insert: Database.Statement<EventInsertArgs, void>;
  private readonly jobTenant: Database.Statement<[string], { tenant: string | null }>;
  private readonly jobEventsOf: Database.Statement<[{ id: string; after: number; limit: number }], EventRow>;
  private readonly feedEnd: Database.Statement<[], number>;
  private readonly scannedTo: Database.Statement<[{ after: number; scan: number }], number | null>;
  /** Feed page statements by filter set (at most 8). */
  private readonly feedPages = new Map<string, Database.Statement<[Record<string, unknown>], EventRow>>();
  private readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
    this.insert = db.prepare<EventInsertArgs, void>(sql.EVENT_INSERT);
    this.jobTenant = db.prepare<[string], { tenant: string | null }>(sql.JOB_TENANT);
    this.jobEventsOf = db.prepare<[{ id: string; after: number; limit: number }], EventRow>(sql.JOB_EVENTS);
    this.feedEnd = db.prepare<[], number>(sql.FEED_END).pluck();
    this.scannedTo = db.prepare<[{ after: number; scan: number }], number | null>(sql.FEED_SCANNED_TO).pluck();
  }

  /**
   * Stores one change's events (core's drafts) in the caller's transaction, numbered so that the
   * last is `newestSeq` (the job's last_seq as the write left it) and dated `at`, and tells
   * `events` of them. `lastDataJson`: the last draft's data as JSON text already (a completion's
   * output is serialised once, not again for its event).
   */
  append(
    job: EventJob,
    newestSeq: number,
    at: number,
    drafts: readonly EventDraft[],
    events: CommitEvents | undefined,
    lastDataJson?: string,
  ): JobEvent[] {
    const owner = job.tenant === null ? { id: job.id, queue: job.queue } : { id: job.id, queue: job.queue, tenant: job.tenant };
    const appended = toJobEvents(owner, newestSeq - drafts.length, at, drafts);
    const last = appended.length - 1;
    for (let i = 0; i <= last; i++) {
      const event = appended[i]!;
      const data = i === last && lastDataJson !== undefined ? lastDataJson : JSON.stringify(event.data);
      this.insert.run(job.id, event.seq, event.type, at, event.attempt ?? null, data, job.queue, job.tenant);
    }
    events?.appended(job.id, job.queue, newestSeq);
    return appended;
  }

  /** ports/event-log.ts `jobEvents`; run it in a read transaction (the tenant check and the log agree). */
  jobEvents(params: JobEventsParams): JobEvent[] | null {
    const owner = this.jobTenant.get(params.id);
    if (!owner || (params.tenant !== undefined && owner.tenant !== params.tenant)) return null;
    const limit = Math.max(0, Math.min(Math.floor(params.limit ?? EVENT_PAGE_LIMIT), EVENT_PAGE_LIMIT));
    return this.jobEventsOf.all({ id: params.id, after: params.after ?? 0, limit }).map(rowToJobEvent);
  }

  /** ports/event-log.ts `feed`; run it in a read transaction (the page and its cursor agree). */
  feed(params: FeedParams): FeedPage {
    const after = params.after === undefined ? 0 : parseCursor(params.after);
    const limit = Math.min(Math.floor(params.limit), EVENT_PAGE_LIMIT);
    if (!(limit > 0)) return { events: [], cursor: String(this.feedEnd.get()) };
    const filters: sql.FeedFilters = {
      tenant: params.tenant !== undefined,
      queue: params.queue !== undefined,
      types: params.types !== undefined,
    };
    const args: Record<string, unknown> = { after, limit, scan: FEED_SCAN_ROWS };
    if (params.tenant !== undefined) args.tenant = params.tenant;
    if (params.queue !== undefined) args.queue = params.queue;
    if (params.types !== undefined) args.types = JSON.stringify(params.types);
    const rows = this.feedPage(filters).all(args);
    let position = rows.at(-1)?.position ?? after;
    // A short filtered page read up to FEED_SCAN_ROWS events it left out: resume past them.
    if (rows.length < limit && (filters.tenant || filters.queue || filters.types)) {
      position = this.scannedTo.get({ after, scan: FEED_SCAN_ROWS }) ?? after;
    }
    return { events: rows.map(rowToFeedEvent), cursor: String(position) };
  }

  private feedPage(filters: sql.FeedFilters): Database.Statement<[Record<string, unknown>], EventRow> {
    const key = sql.feedFiltersKey(filters);
    let statement = this.feedPages.get(key);
    if (!statement) {
      statement = this.db.prepare<[Record<string, unknown>], EventRow>(sql.feedSql(filters));
      this.feedPages.set(key, statement);
    }
    return statement;
  }
}

/** A feed cursor is a position this log handed out: a decimal rowid. */
function parseCursor(text: string): number {
  const position = /^(0|[1-9][0-9]{0,15})$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(position)) throw new ValidationError(`after: "${text}" is not a cursor of this feed`, 'after');
  return position;
}

function rowToJobEvent(row: EventRow): JobEvent {
  const event: JobEvent = { seq: row.seq, jobId: row.job_id, type: row.type, at: row.at, queue: row.queue };
  if (row.attempt !== null) event.attempt = row.attempt;
  if (row.data !== null) event.data = JSON.parse(row.data);
  if (row.tenant !== null) event.tenant = row.tenant;
  return event;
}

function rowToFeedEvent(row: EventRow): FeedEvent {
  return { ...rowToJobEvent(row), cursor: String(row.position) };
}

/** job.succeeded's data (`{ output }`) around the output's JSON text as the row stores it (null: no output). */
export function succeededDataJson(outputJson: string | null): string {
  return outputJson === null ? '{}' : `{"output":${outputJson}}`;
}
