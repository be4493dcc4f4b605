import type { SluiceEventMap, SluiceEventName, SluiceEvents } from './events.js';
import { isTerminal, type Job, type JobStatus } from './job.js';

type PendingEvent = { [K in SluiceEventName]: { name: K; payload: SluiceEventMap[K] } }[SluiceEventName];

/**
 * The events of one write, collected while it runs and emitted once it has committed: a listener
 * told of a change that a rollback then undid would wake for, or wait on, a job that is not there.
 * It also names, once, which events each kind of change makes (a job back to waiting, a job that
 * ended, a cancel, a batch put back in line), so that every adapter announces a change the same way.
 */
export class CommitEvents {
  private readonly pending: PendingEvent[] = [];

  add<K extends SluiceEventName>(name: K, payload: SluiceEventMap[K]): this {
    this.pending.push({ name, payload } as PendingEvent);
    return this;
  }

  /** New jobs stored in `queue`. */
  enqueued(queue: string, count: number): this {
    return count > 0 ? this.add('jobs:enqueued', { queue, count }) : this;
  }

  /** A job back to waiting (retry, release, reclaim). */
  requeued(id: string, queue: string): this {
    return this.add('job:requeued', { id, queue });
  }

  /** Events appended to a job's log, the newest `seq` (a wake-up for streams). */
  appended(id: string, queue: string, seq: number): this {
    return this.add('events:appended', { id, queue, seq });
  }

  /** A job that ended, as stored. */
  finished(job: Job): this {
    return this.add('job:finished', { job });
  }

  /**
   * A job a write moved by a decision it took itself (a failure, a reclaim): by the status it
   * stored, ended (`job:finished`, with the job built only then) or back to waiting.
   */
  settled(row: { id: string; queue: string; status: JobStatus | string }, job: () => Job): this {
    return isTerminal(row.status as JobStatus) ? this.finished(job()) : this.requeued(row.id, row.queue);
  }

  /** A cancelled job: a worker still running it hears `job:cancelled` (to abort), then it ended. */
  cancelled(job: Job, wasRunning: boolean): this {
    if (wasRunning) this.add('job:cancelled', { id: job.id });
    return this.finished(job);
  }

  /**
   * A batch put back in line (a redrive): `job:requeued` for each, then one `jobs:enqueued` per
   * queue so idle workers wake. Returns the count per queue.
   */
  requeuedBatch(moved: Iterable<{ id: string; queue: string }>): Map<string, number> {
    const perQueue = new Map<string, number>();
    for (const { id, queue } of moved) {
      perQueue.set(queue, (perQueue.get(queue) ?? 0) + 1);
      this.requeued(id, queue);
    }
    for (const [queue, count] of perQueue) this.enqueued(queue, count);
    return perQueue;
  }

  /** Emits what was collected, in order, and forgets it. Call once the write has committed. */
  emitTo(events: SluiceEvents): void {
    for (const event of this.pending.splice(0)) events.emit(event.name, event.payload as never);
  }
}
