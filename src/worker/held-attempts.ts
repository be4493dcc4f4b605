import type { Attempt } from './attempt.js';
import { InFlightCount } from './in-flight-count.js';
import type { WorkerLogger } from './worker-options.js';

/**
 * The attempts a worker has not finished yet, from claim to written result: by lease token (a job
 * id may come back to this worker under a new lease) and by job id (the newest lease of each id).
 * Heartbeats extend their leases, cancels reach them by id, and stop() waits until none is left.
 */
export class HeldAttempts {
  private readonly byLease = new Map<string, Attempt>();
  private readonly byJob = new Map<string, Attempt>();
  /** finish() calls not yet returned. */
  private readonly unfinished = new InFlightCount();

  constructor(private readonly logger: WorkerLogger) {}

  /** The newest attempt of job `id`, while it is held. */
  ofJob(id: string): Attempt | undefined {
    return this.byJob.get(id);
  }

  /** Every attempt held now. */
  values(): IterableIterator<Attempt> {
    return this.byLease.values();
  }

  /** Holds a new attempt; `finish` forgets it. */
  add(attempt: Attempt): void {
    this.unfinished.add();
    this.byJob.set(attempt.job.id, attempt);
    this.byLease.set(attempt.job.leaseToken, attempt);
  }

  /** Awaits an attempt's work, then forgets the attempt. Never rejects. */
  async finish(attempt: Attempt, work: Promise<void>): Promise<void> {
    const job = attempt.job;
    try {
      await work;
    } catch (error) {
      this.logger.error({ err: error, jobId: job.id }, 'unexpected error in attempt');
    } finally {
      attempt.end();
      this.byLease.delete(job.leaseToken);
      if (this.byJob.get(job.id) === attempt) this.byJob.delete(job.id);
      this.unfinished.done();
    }
  }

  /** Resolves when every attempt held has finished (at once if none is held). */
  whenAllFinished(): Promise<void> {
    return this.unfinished.whenZero();
  }
}
