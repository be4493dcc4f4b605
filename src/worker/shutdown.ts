import type { WorkerJobStore } from '../core/backend.js';
import type { ClaimedJob } from '../core/job.js';
import { shutdownReason } from './abort-reasons.js';
import type { Attempt } from './attempt.js';
import type { AttemptRunner } from './attempt-runner.js';
import type { ClaimLoop } from './claim-loop.js';
import type { Heartbeats } from './heartbeats.js';
import type { HeldAttempts } from './held-attempts.js';
import type { Outcomes } from './outcomes.js';
import { WRITE_BACKOFF, WRITE_RETRIES } from './outcomes.js';
import type { PrefetchLine } from './prefetch-line.js';
import { sleep } from './sleep.js';
import type { Slots } from './slots.js';
import type { TypedEmitter } from './typed-emitter.js';
import { withRetries } from './with-retries.js';
import type { WorkerErrorPhase, WorkerEventMap } from './worker-events.js';

export interface ShutdownParts {
  store: Pick<WorkerJobStore, 'release'>;
  loop: Pick<ClaimLoop, 'stop'>;
  line: Pick<PrefetchLine, 'takeAll'>;
  slots: Pick<Slots, 'whenIdle'>;
  held: HeldAttempts;
  runner: Pick<AttemptRunner, 'flushBatches'>;
  outcomes: Pick<Outcomes, 'drain'>;
  heartbeats: Pick<Heartbeats, 'stop'>;
  emitter: TypedEmitter<WorkerEventMap>;
  reportError: (error: unknown, during: WorkerErrorPhase) => void;
}

/**
 * The worker's graceful stop, and the release of jobs it gives back: no new claims, jobs claimed
 * ahead go back at once, in-flight jobs get the grace period, the rest are aborted (reason:
 * shutdown) and released, attempt not counted, so that another worker takes them.
 */
export class Shutdown {
  constructor(private readonly parts: ShutdownParts) {}

  /**
   * Runs the stop once the worker reads as stopping. Resolves when every result is written and the
   * heartbeat timer is gone; `loopDone` is the claim loop's run.
   */
  async run(graceMs: number, loopDone: Promise<void>): Promise<void> {
    const { loop, line, slots, held, runner, outcomes, heartbeats } = this.parts;
    loop.stop();
    // Jobs claimed ahead never started: another worker may take them now, not after the grace.
    this.handBack(line.takeAll());
    // Jobs waiting in a batching window run now rather than at the end of the window.
    runner.flushBatches();

    const grace = new AbortController();
    const finishedInTime = await Promise.race([
      Promise.all([loopDone, slots.whenIdle()]).then(() => true),
      sleep(graceMs, grace.signal).then(() => false),
    ]);
    grace.abort();

    if (!finishedInTime) {
      const overdue = [...held.values()].filter((attempt) => attempt.phase === 'running');
      for (const attempt of overdue) attempt.abort(shutdownReason());
      await this.release(overdue.map((attempt) => attempt.job));
    }
    // Aborted attempts end at once (their handlers are no longer awaited); the others are writing.
    await held.whenAllFinished();
    await outcomes.drain();
    await heartbeats.stop();
  }

  /** Attempts out of the line that never started go back to the queue (stop), attempt not counted. */
  handBack(attempts: Attempt[]): void {
    if (attempts.length === 0) return;
    for (const attempt of attempts) attempt.abort(shutdownReason());
    const released = this.release(attempts.map((attempt) => attempt.job));
    for (const attempt of attempts) void this.parts.held.finish(attempt, released);
  }

  /** Hands jobs back without counting the attempt; never rejects. */
  async release(jobs: ClaimedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    try {
      const outcomes = await withRetries(
        () => this.parts.store.release({ items: jobs.map((job) => ({ id: job.id, leaseToken: job.leaseToken })) }),
        { retries: WRITE_RETRIES, backoff: WRITE_BACKOFF, onError: (error) => this.parts.reportError(error, 'release') },
      );
      const released = new Set(outcomes.filter((outcome) => outcome.result === 'ok').map((outcome) => outcome.id));
      for (const job of jobs) if (released.has(job.id)) this.parts.emitter.emit('job:released', { job });
    } catch {
      // Given up: the leases expire and the jobs are reclaimed (the attempt then counts).
    }
  }
}
