import type { WorkerJobStore } from '../core/backend.js';
import type { ClaimedJob } from '../core/job.js';
import { planClaims } from './claim-planner.js';
import { errorBackoffMs } from './error-backoff.js';
import type { PrefetchLine } from './prefetch-line.js';
import { sleep } from './sleep.js';
import type { Slots } from './slots.js';
import { WakeSignal } from './wake-signal.js';
import type { WorkerErrorPhase } from './worker-events.js';
import type { ResolvedWorkerOptions } from './worker-options.js';

const CLAIM_BACKOFF_MAX_MS = 5_000;

export interface ClaimLoopParts {
  store: Pick<WorkerJobStore, 'claim'>;
  options: Pick<
    ResolvedWorkerOptions,
    'queues' | 'handlers' | 'tenant' | 'concurrency' | 'prefetch' | 'leaseMs' | 'pollIntervalMs' | 'workerId'
  >;
  slots: Slots;
  line: PrefetchLine;
  /** False once stop() began: the loop ends, and jobs it claims meanwhile go back. */
  isRunning(): boolean;
  /** A claimed job becomes an attempt (in the line, or settled at once). */
  admit(job: ClaimedJob): void;
  /** Hands jobs back without counting the attempt. */
  release(jobs: ClaimedJob[]): Promise<void>;
  reportError: (error: unknown, during: WorkerErrorPhase) => void;
}

/**
 * The claim loop: claims as many jobs as there are free slots plus the prefetch, in one `claim`
 * call per group of handler types (see planClaims), then sleeps until the backend announces work
 * (`workArrived`), a slot frees (`slotFreed`), stop, or the idle poll timer fires (work from other
 * processes). No busy loop, no round trip per job. A failed claim is retried with backoff.
 */
export class ClaimLoop {
  private readonly wake = new WakeSignal();
  /**
   * Handler types the backend had run out of at the last claim that asked for them, with no news of
   * work since (an enqueue, a requeue, a resume). A freed slot wakes the claim loop only while some
   * type is not known to be out: otherwise every finishing job would cost a claim that finds
   * nothing, and that round trip would delay the claim of the next job that does arrive.
   */
  private readonly exhaustedTypes = new Set<string>();
  /** Aborted by stop(): cuts short the error backoff. */
  private readonly stopController = new AbortController();

  constructor(private readonly parts: ClaimLoopParts) {}

  /** News of claimable work: nothing is known to be out any more, and the loop looks now. */
  workArrived(): void {
    this.exhaustedTypes.clear();
    this.wake.wake();
  }

  /** A handler finished: claim for its slot, unless every type is known to be out. */
  slotFreed(): void {
    if (this.exhaustedTypes.size < this.parts.options.handlers.size) this.wake.wake();
  }

  /** stop() began: the loop wakes and ends (isRunning is false by now). */
  stop(): void {
    this.stopController.abort();
    this.wake.wake();
  }

  /** Runs until stop. */
  async run(): Promise<void> {
    const { store, options, line } = this.parts;
    let failures = 0;
    while (this.parts.isRunning()) {
      const groups = planClaims(this.claimRoom(), this.roomByType());
      if (groups.length === 0) {
        // Every slot is busy: a finishing handler (or stop, or news of work) wakes us, and the poll
        // timer too: a freed slot wakes nobody while every type is known to be out (see
        // exhaustedTypes), and jobs that fall due announce themselves to no one. Then yield one
        // macrotask, so that handlers finishing in the same burst all free their slots before the
        // next claim: one claim refills them together instead of one round trip per freed slot.
        await this.wake.wait(options.pollIntervalMs);
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      let requested = 0;
      let claimed = 0;
      try {
        for (const group of groups) {
          const limit = Math.min(group.limit, this.claimRoom());
          if (limit <= 0 || !this.parts.isRunning()) break;
          requested += limit;
          const jobs = await store.claim({
            queues: options.queues,
            types: group.types,
            tenant: options.tenant,
            limit,
            leaseMs: options.leaseMs,
            workerId: options.workerId,
          });
          claimed += jobs.length;
          for (const type of group.types) {
            if (jobs.length < limit) this.exhaustedTypes.add(type);
            else this.exhaustedTypes.delete(type);
          }
          if (!this.parts.isRunning()) {
            // stop() began while the claim was in flight: give the jobs straight back.
            await this.parts.release(jobs);
            return;
          }
          for (const job of jobs) this.parts.admit(job);
          line.dispatch();
        }
        failures = 0;
      } catch (error) {
        failures += 1;
        this.parts.reportError(error, 'claim');
        const backoff = { initialMs: Math.min(100, options.pollIntervalMs), maxMs: CLAIM_BACKOFF_MAX_MS };
        await sleep(errorBackoffMs(failures, backoff), this.stopController.signal);
        continue;
      }
      // Fewer jobs than asked for: nothing more is due now, so wait for news or the poll timer.
      if (claimed < requested) await this.wake.wait(options.pollIntervalMs);
    }
  }

  /** Jobs one claim may take now: free slots plus the prefetch, less those already waiting. */
  private claimRoom(): number {
    const { options, slots, line } = this.parts;
    return options.concurrency + options.prefetch - slots.used - line.length;
  }

  /**
   * How many more jobs of each handled type may be claimed (Infinity when the type has no own
   * limit). Waiting jobs count as started: a type with its own limit is never claimed ahead of it.
   */
  private roomByType(): Map<string, number> {
    const { options, slots, line } = this.parts;
    const room = new Map<string, number>();
    for (const [type, { concurrency }] of options.handlers) {
      if (concurrency === undefined) {
        room.set(type, Number.POSITIVE_INFINITY);
        continue;
      }
      room.set(type, concurrency - slots.usedBy(type) - line.countOf(type));
    }
    return room;
  }
}
