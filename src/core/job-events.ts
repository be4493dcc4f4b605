import type { JobError, JobStatus } from './job.js';
import type { JobEvent, JobEventData, JobEventType } from './ports/event-log.js';

/** An event before the store numbers and dates it: what each change of a job appends. */
export interface EventDraft<K extends JobEventType = JobEventType> {
  type: K;
  attempt?: number;
  data: JobEventData[K];
}

/**
 * The events each change of a job appends, in order (ports/event-log.ts documents their data).
 * Adapters that build their writes in JavaScript (SQLite, the transports, the memory fake) use these;
 * those that build them in SQL or Lua write the same shapes, and the conformance suite holds all to
 * one log.
 */
export const JobEventDrafts = {
  created(job: { type: string; status: JobStatus; runAt: number; priority: number }): EventDraft[] {
    const status = job.status === 'scheduled' ? 'scheduled' : 'queued';
    const created: EventDraft<'job.created'> = {
      type: 'job.created',
      data: { type: job.type, status, runAt: job.runAt, priority: job.priority },
    };
    return status === 'scheduled' ? [created, { type: 'job.scheduled', data: { runAt: job.runAt } }] : [created];
  },
  started(attempt: number, workerId: string, leaseExpiresAt: number): EventDraft<'job.started'> {
    return { type: 'job.started', attempt, data: { workerId, leaseExpiresAt } };
  },
  progress(attempt: number, progress: unknown): EventDraft<'job.progress'> {
    return { type: 'job.progress', attempt, data: { progress } };
  },
  outputDelta(attempt: number, chunks: unknown[]): EventDraft<'job.output.delta'> {
    return { type: 'job.output.delta', attempt, data: { chunks } };
  },
  retrying(attempt: number, error: JobError, runAt: number): EventDraft<'job.retrying'> {
    return { type: 'job.retrying', attempt, data: { error, runAt } };
  },
  succeeded(attempt: number, output: unknown): EventDraft<'job.succeeded'> {
    return { type: 'job.succeeded', attempt, data: { output } };
  },
  failed(attempt: number, error: JobError): EventDraft<'job.failed'> {
    return { type: 'job.failed', attempt, data: { error } };
  },
  /** `attempt` only when it was cancelled while running. */
  cancelled(from: JobStatus, attempt: number | undefined): EventDraft<'job.cancelled'> {
    return attempt === undefined || from !== 'running'
      ? { type: 'job.cancelled', data: { from } }
      : { type: 'job.cancelled', attempt, data: { from } };
  },
  /** A reclaimed lease: back to `queued`, or `failed` out of attempts (then `job.failed` follows). */
  lost(attempt: number, error: JobError, status: 'queued' | 'failed'): EventDraft[] {
    const lost: EventDraft<'job.lost'> = { type: 'job.lost', attempt, data: { error, status } };
    return status === 'failed' ? [lost, JobEventDrafts.failed(attempt, error)] : [lost];
  },
  released(attempt: number): EventDraft<'job.released'> {
    return { type: 'job.released', attempt, data: {} };
  },
  redriven(runAt: number): EventDraft<'job.redriven'> {
    return { type: 'job.redriven', data: { runAt } };
  },
};

/** Numbers drafts after a job's last seq and dates them: the events as the log stores them. */
export function toJobEvents(
  job: { id: string; queue: string; tenant?: string | undefined },
  lastSeq: number,
  at: number,
  drafts: readonly EventDraft[],
): JobEvent[] {
  return drafts.map((draft, i) => {
    const event: JobEvent = { seq: lastSeq + i + 1, jobId: job.id, type: draft.type, at, data: draft.data, queue: job.queue };
    if (draft.attempt !== undefined) event.attempt = draft.attempt;
    if (job.tenant !== undefined) event.tenant = job.tenant;
    return event;
  });
}
