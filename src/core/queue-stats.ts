import { emptyCounts, type JobStatus, type QueueStats } from './job.js';

/** One group of a backend's count query: the jobs of one queue in one stored status. */
export interface StatusCountRow {
  queue: string;
  status: JobStatus;
  count: number;
  /** `scheduled` rows: how many of them are due. Due jobs wait in line, so they count as queued. */
  due?: number | null | undefined;
  /**
   * The smallest runAt of the row's jobs (the queue's lag is measured from it). Read for `queued`
   * rows, and for `scheduled` rows that have due jobs (the smallest runAt is then a due one).
   */
  oldestRunAt?: number | null | undefined;
}

/** A queue's pause flag as the backend stores it. */
export interface QueueFlagRow {
  queue: string;
  paused: boolean;
}

/**
 * Per-queue stats from a backend's grouped counts and pause flags, read in one snapshot at `now`.
 * Every queue that has a row or a flag is listed (and `queue`, when the caller asked for one, even
 * if empty); the result is sorted by name.
 */
export function assembleQueueStats(params: {
  counts: readonly StatusCountRow[];
  flags: readonly QueueFlagRow[];
  now: number;
  queue?: string | undefined;
}): QueueStats[] {
  const byName = new Map<string, QueueStats>();
  const entry = (name: string): QueueStats => {
    let stats = byName.get(name);
    if (!stats) {
      stats = { name, paused: false, counts: emptyCounts(), oldestQueuedAgeMs: 0 };
      byName.set(name, stats);
    }
    return stats;
  };
  if (params.queue !== undefined) entry(params.queue);
  for (const flag of params.flags) entry(flag.queue).paused = flag.paused;
  const oldest = new Map<string, number>();
  for (const row of params.counts) {
    const stats = entry(row.queue);
    let waiting = row.status === 'queued';
    if (row.status === 'scheduled') {
      const due = row.due ?? 0;
      stats.counts.scheduled += row.count - due;
      stats.counts.queued += due;
      waiting = due > 0;
    } else {
      stats.counts[row.status] += row.count;
    }
    const runAt = row.oldestRunAt;
    if (waiting && runAt !== null && runAt !== undefined) {
      oldest.set(row.queue, Math.min(oldest.get(row.queue) ?? runAt, runAt));
    }
  }
  for (const [name, runAt] of oldest) entry(name).oldestQueuedAgeMs = Math.max(0, params.now - runAt);
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
