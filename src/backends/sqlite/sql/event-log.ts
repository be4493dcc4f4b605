import { whereClause } from './common.js';

/** The SQL of the event log role (ports/event-log.ts): appends, a job's log, the feed. */

/** Positional: the arguments are an EventInsertArgs tuple, in this column order. */
export const EVENT_INSERT = `INSERT INTO job_events (job_id, seq, type, at, attempt, data, queue, tenant)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

/** Whose job it is (the tenant check of jobEvents); no row: unknown or purged. */
export const JOB_TENANT = 'SELECT tenant FROM jobs WHERE id = ?';

const EVENT_COLUMNS = 'position, job_id, seq, type, at, attempt, data, queue, tenant';

export const JOB_EVENTS = `SELECT ${EVENT_COLUMNS} FROM job_events INDEXED BY job_events_job
       WHERE job_id = @id AND seq > @after ORDER BY seq LIMIT @limit`;

/** The feed's current end: the newest position (0 for an empty log). */
export const FEED_END = 'SELECT ifnull(max(position), 0) FROM job_events';

/** The feed's filters, written into its SQL when given (each set is its own statement). */
export interface FeedFilters {
  tenant: boolean;
  queue: boolean;
  types: boolean;
}

/**
 * A page of the feed after `@after`. Unfiltered, the first `@limit` events. Filtered, the first
 * `@limit` matches among the next `@scan` events only: a filter that matches nothing reads at most
 * `@scan` rows per call, and FEED_SCANNED_TO says how far it got. The inner scan is a co-routine
 * over the rowid, so the outer filter streams and stops at `@limit` (no sort, no temp table).
 */
export function feedSql(filters: FeedFilters): string {
  const where: string[] = [];
  if (filters.tenant) where.push('tenant = @tenant');
  if (filters.queue) where.push('queue = @queue');
  if (filters.types) where.push('type IN (SELECT value FROM json_each(@types))');
  if (where.length === 0) {
    return `SELECT ${EVENT_COLUMNS} FROM job_events WHERE position > @after ORDER BY position LIMIT @limit`;
  }
  return `SELECT ${EVENT_COLUMNS} FROM (
         SELECT * FROM job_events WHERE position > @after ORDER BY position LIMIT @scan)
       ${whereClause(where)} ORDER BY position LIMIT @limit`;
}

/** Key of a feed filter set in a statement cache. */
export function feedFiltersKey(filters: FeedFilters): string {
  return `${filters.tenant ? 't' : '-'}${filters.queue ? 'q' : '-'}${filters.types ? 'y' : '-'}`;
}

/** The last position a filtered page scanned (NULL: nothing after `@after`). */
export const FEED_SCANNED_TO = `SELECT max(position) FROM (
         SELECT position FROM job_events WHERE position > @after ORDER BY position LIMIT @scan)`;
