import type { Backend, FailItem, LeaseRef, WorkerJobStore } from '../core/backend.js';
import { endedJob } from '../core/ended-job.js';
import { ErrorCodes, hasErrorCode, SluiceError } from '../core/errors.js';
import type { ClaimedJob } from '../core/job.js';
import { decideFailure } from '../core/retry-policy.js';
import { abortKind, cancelledReason, leaseLostReason, shutdownReason } from './abort-reasons.js';
import { Attempt, type AttemptOutcome } from './attempt.js';
import { BatchCollector } from './batch-collector.js';
import { planClaims } from './claim-planner.js';
import { type ErrorBackoff, errorBackoffMs } from './error-backoff.js';
import type { HandlerDefinition, HandlerFunction } from './handler.js';
import { InFlightCount } from './in-flight-count.js';
import { SettleBatcher } from './settle-batcher.js';
import { sleep } from './sleep.js';
import { type EventListener, TypedEmitter } from './typed-emitter.js';
import { WakeSignal } from './wake-signal.js';
import { withRetries } from './with-retries.js';
import type { WorkerErrorPhase, WorkerEventMap } from './worker-events.js';
import { type ResolvedWorkerOptions, resolveWorkerOptions, type WorkerOptions } from './worker-options.js';

export type { WorkerOptions } from './worker-options.js';

/** `idle` before start, `running`, `stopping` during stop(), `stopped` after. */
export type WorkerState = 'idle' | 'running' | 'stopping' | 'stopped';

export interface StopOptions {
  /** How long in-flight jobs may still run; default the worker's shutdownGraceMs. */
  graceMs?: number;
}

/** Retries of a failed settlement or release write before the worker leaves it to lease expiry. */
const WRITE_RETRIES = 4;
const WRITE_BACKOFF: ErrorBackoff = { initialMs: 50, maxMs: 2_000 };
const CLAIM_BACKOFF_MAX_MS = 5_000;

/**
 * Claims jobs from a Backend and runs their handlers.
 *
 * - One claim loop: claims as many jobs as there are free slots in one `claim` call, then sleeps
 *   until the backend announces work (`jobs:enqueued`, `job:requeued`, a resumed queue), a slot
 *   frees, or the idle poll timer fires (work from other processes). No busy loop, no round trip
 *   per job.
 * - One heartbeat timer extends every held lease in one call; a lease reported lost, or a
 *   `job:cancelled` event, aborts that handler at once and nothing more is written for it.
 * - Results are written in batches (see SettleBatcher); failures are classified by core's
 *   decideFailure (permanent, rate limited, transient with backoff).
 * - stop() is graceful: no new claims, in-flight jobs get the grace period, the rest are aborted
 *   and released (attempt not counted) so that another worker takes them.
 *
 * The worker knows only the worker's role of the Backend port (WorkerBackend): it never imports an
 * adapter or a built-in handler.
 */
/** What a worker needs of a backend: the worker's job store and the change events. */
export type WorkerBackend = WorkerJobStore & Pick<Backend, 'events'>;

export class Worker {
  /** Names this worker in leases and logs. */
  readonly id: string;
  private readonly backend: WorkerBackend;
  private readonly options: ResolvedWorkerOptions;
  private readonly emitter = new TypedEmitter<WorkerEventMap>();
  private readonly settler: SettleBatcher;
  private readonly wake = new WakeSignal();
  private currentState: WorkerState = 'idle';
  /** Attempts not yet done, by lease token (a job id may come back to this worker under a new lease). */
  private readonly attempts = new Map<string, Attempt>();
  /** The attempt of each job id (the newest lease when one id came back under a new lease). */
  private readonly attemptsByJob = new Map<string, Attempt>();
  /** runAttempt calls not yet returned (stop() waits for none). */
  private readonly attemptTasks = new InFlightCount();
  /** Handlers running now, in total and per job type: the concurrency slots in use. */
  private readonly running = new InFlightCount();
  private readonly runningByType = new Map<string, number>();
  /** Attempts claimed ahead of a free slot (prefetch), in claim order. */
  private waiting: Attempt[] = [];
  /**
   * Handler types the backend had run out of at the last claim that asked for them, with no news of
   * work since (an enqueue, a requeue, a resume). A freed slot wakes the claim loop only while some
   * type is not known to be out: otherwise every finishing job would cost a claim that finds
   * nothing, and that round trip would delay the claim of the next job that does arrive.
   */
  private readonly exhaustedTypes = new Set<string>();
  /** Aborted by stop(): cuts short the claim loop's error backoff. */
  private readonly stopController = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** The heartbeat call in flight, if any: beats never overlap, and stop() waits for the last one. */
  private heartbeatInFlight: Promise<void> | undefined;
  private unsubscribers: Array<() => void> = [];
  /** Batching windows by job type (handlers that declare `batch`). */
  private readonly collectors = new Map<string, BatchCollector>();
  private stopping: Promise<void> | undefined;

  constructor(backend: WorkerBackend, options: WorkerOptions) {
    this.backend = backend;
    this.options = resolveWorkerOptions(options);
    this.id = this.options.workerId;
    this.settler = new SettleBatcher(backend, {
      retries: WRITE_RETRIES,
      backoff: WRITE_BACKOFF,
      onError: (error) => this.reportError(error, 'settle'),
    });
  }

  get state(): WorkerState {
    return this.currentState;
  }

  /** Handlers running now. */
  get activeCount(): number {
    return this.running.value;
  }

  /** Subscribes to a worker event; returns the unsubscribe function. */
  on<K extends keyof WorkerEventMap>(name: K, listener: EventListener<WorkerEventMap, K>): () => void {
    return this.emitter.on(name, listener);
  }

  off<K extends keyof WorkerEventMap>(name: K, listener: EventListener<WorkerEventMap, K>): void {
    this.emitter.off(name, listener);
  }

  /** Resolves with the next payload of `name` that passes `filter`. */
  once<K extends keyof WorkerEventMap>(name: K, filter?: (payload: WorkerEventMap[K]) => boolean): Promise<WorkerEventMap[K]> {
    return this.emitter.once(name, filter);
  }

  /** Starts claiming. Calling it again while running does nothing; a stopped worker cannot restart. */
  async start(): Promise<void> {
    if (this.currentState === 'running') return;
    if (this.currentState !== 'idle') throw new SluiceError(ErrorCodes.shuttingDown, 'a stopped worker cannot be started again');
    this.currentState = 'running';
    this.subscribeToBackend();
    // A backend that relays other processes' changes on demand starts now: a job enqueued
    // elsewhere after start() resolves wakes this worker instead of waiting for the idle poll.
    await this.backend.events.relaying();
    if (this.currentState !== 'running') return; // stopped while the relay started
    this.heartbeatTimer = setInterval(() => this.beat(), this.options.heartbeatMs);
    this.loopDone = this.claimLoop();
  }

  /**
   * Stops gracefully: claims nothing more, lets in-flight jobs finish within `graceMs`, then aborts
   * the rest (reason: shutdown) and releases them to the queue. Resolves when every result is
   * written and no timer is left. Calling it again returns the same promise.
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (!this.stopping) {
      if (this.currentState === 'idle') {
        this.currentState = 'stopped';
        this.stopping = Promise.resolve();
      } else {
        this.stopping = this.shutdown(options.graceMs ?? this.options.shutdownGraceMs);
      }
    }
    return this.stopping;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.currentState = 'stopping';
    this.stopController.abort();
    this.wake.wake();
    // Jobs claimed ahead never started: another worker may take them now, not after the grace.
    const unstarted = this.waiting;
    this.waiting = [];
    this.handBack(unstarted);
    // Jobs waiting in a batching window run now rather than at the end of the window.
    for (const collector of this.collectors.values()) collector.flush();

    const grace = new AbortController();
    const finishedInTime = await Promise.race([
      Promise.all([this.loopDone, this.running.whenZero()]).then(() => true),
      sleep(graceMs, grace.signal).then(() => false),
    ]);
    grace.abort();

    if (!finishedInTime) {
      const overdue = [...this.attempts.values()].filter((attempt) => attempt.phase === 'running');
      for (const attempt of overdue) attempt.abort(shutdownReason());
      await this.release(overdue.map((attempt) => attempt.job));
    }
    // Aborted attempts end at once (their handlers are no longer awaited); the others are writing.
    await this.attemptTasks.whenZero();
    await this.settler.drain();

    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    await this.heartbeatInFlight;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    this.currentState = 'stopped';
    this.options.logger.info({ workerId: this.id }, 'worker stopped');
    this.emitter.emit('stopped', {});
  }

  private subscribeToBackend(): void {
    const queues = new Set(this.options.queues);
    const events = this.backend.events;
    this.unsubscribers.push(
      events.on('jobs:enqueued', ({ queue }) => {
        if (queues.has(queue)) this.workArrived();
      }),
      events.on('job:requeued', ({ queue }) => {
        if (queues.has(queue)) this.workArrived();
      }),
      events.on('queue:paused', ({ queue, paused }) => {
        if (!paused && queues.has(queue)) this.workArrived();
      }),
      events.on('job:cancelled', ({ id }) => {
        // Older leases of the id were already dropped when the newest one began.
        const attempt = this.attemptsByJob.get(id);
        if (!attempt) return;
        attempt.loseLease(cancelledReason(id));
        if (attempt.phase === 'waiting') this.dropLostWaiting();
      }),
    );
  }

  private async claimLoop(): Promise<void> {
    let failures = 0;
    while (this.currentState === 'running') {
      const groups = planClaims(this.claimRoom(), this.roomByType());
      if (groups.length === 0) {
        // Every slot is busy: a finishing handler (or stop, or news of work) wakes us, and the poll
        // timer too: a freed slot wakes nobody while every type is known to be out (see
        // exhaustedTypes), and jobs that fall due announce themselves to no one. Then yield one
        // macrotask, so that handlers finishing in the same burst all free their slots before the
        // next claim: one claim refills them together instead of one round trip per freed slot.
        await this.wake.wait(this.options.pollIntervalMs);
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      let requested = 0;
      let claimed = 0;
      try {
        for (const group of groups) {
          const limit = Math.min(group.limit, this.claimRoom());
          if (limit <= 0 || this.currentState !== 'running') break;
          requested += limit;
          const jobs = await this.backend.claim({
            queues: this.options.queues,
            types: group.types,
            limit,
            leaseMs: this.options.leaseMs,
            workerId: this.id,
          });
          claimed += jobs.length;
          for (const type of group.types) {
            if (jobs.length < limit) this.exhaustedTypes.add(type);
            else this.exhaustedTypes.delete(type);
          }
          if (this.currentState !== 'running') {
            // stop() began while the claim was in flight: give the jobs straight back.
            await this.release(jobs);
            return;
          }
          for (const job of jobs) this.admit(job);
          this.dispatch();
        }
        failures = 0;
      } catch (error) {
        failures += 1;
        this.reportError(error, 'claim');
        const backoff = { initialMs: Math.min(100, this.options.pollIntervalMs), maxMs: CLAIM_BACKOFF_MAX_MS };
        await sleep(errorBackoffMs(failures, backoff), this.stopController.signal);
        continue;
      }
      // Fewer jobs than asked for: nothing more is due now, so wait for news or the poll timer.
      if (claimed < requested) await this.wake.wait(this.options.pollIntervalMs);
    }
  }

  /** Jobs one claim may take now: free slots plus the prefetch, less those already waiting. */
  private claimRoom(): number {
    return this.options.concurrency + this.options.prefetch - this.running.value - this.waiting.length;
  }

  /**
   * How many more jobs of each handled type may be claimed (Infinity when the type has no own
   * limit). Waiting jobs count as started: a type with its own limit is never claimed ahead of it.
   */
  private roomByType(): Map<string, number> {
    const room = new Map<string, number>();
    for (const [type, { concurrency }] of this.options.handlers) {
      if (concurrency === undefined) {
        room.set(type, Number.POSITIVE_INFINITY);
        continue;
      }
      const waiting = this.waiting.reduce((n, attempt) => n + (attempt.job.type === type ? 1 : 0), 0);
      room.set(type, concurrency - (this.runningByType.get(type) ?? 0) - waiting);
    }
    return room;
  }

  /** A claimed job becomes an attempt under lease (heartbeats and cancels reach it from now on). */
  private admit(job: ClaimedJob): void {
    this.attemptTasks.add();
    const attempt = new Attempt(job, this.options.clock.now(), 'waiting');
    // A new lease on a job proves that any older one this worker still has is gone. Dropping it
    // now also keeps one heartbeat from carrying two leases of the same id (lost ids are ambiguous).
    const older = this.attemptsByJob.get(job.id);
    older?.loseLease(leaseLostReason(job.id));
    if (older?.phase === 'waiting') this.dropLostWaiting();
    this.attemptsByJob.set(job.id, attempt);
    this.attempts.set(job.leaseToken, attempt);
    if (!this.options.handlers.has(job.type)) {
      // The claim's type filter should make this impossible; a job must still never hang here.
      void this.finishAttempt(attempt, this.settleUnhandled(attempt));
      return;
    }
    // stop() may have begun meanwhile (a listener of an event above): then the job goes straight back.
    if (this.currentState === 'running') this.waiting.push(attempt);
    else this.handBack([attempt]);
  }

  /**
   * Starts waiting attempts, oldest first (claim order), while there are free slots and their type
   * has room; drops those that lost their lease on the way. Once every slot is taken the rest of
   * the line is left as it is, so a freed slot costs O(started), not O(prefetch). The line is
   * settled before anything runs: starting a job emits events, and a listener may call stop().
   */
  private dispatch(): void {
    if (this.waiting.length === 0 || this.currentState !== 'running') return;
    let free = this.options.concurrency - this.running.value;
    if (free <= 0) return;
    const line = this.waiting;
    const start: Attempt[] = [];
    const drop: Attempt[] = [];
    const still: Attempt[] = [];
    const startingByType = new Map<string, number>();
    let i = 0;
    for (; i < line.length && free > 0; i++) {
      const attempt = line[i]!;
      const type = attempt.job.type;
      const starting = startingByType.get(type) ?? 0;
      if (attempt.aborted) drop.push(attempt);
      else if (this.hasRoom(type, starting)) {
        start.push(attempt);
        startingByType.set(type, starting + 1);
        free -= 1;
      } else still.push(attempt);
    }
    this.waiting = i === line.length ? still : still.concat(line.slice(i));
    this.endWaiting(drop, start);
  }

  /** Drops waiting attempts whose lease is gone (cancelled, reported lost, superseded): no write. */
  private dropLostWaiting(): void {
    const kept: Attempt[] = [];
    const drop: Attempt[] = [];
    for (const attempt of this.waiting) (attempt.aborted ? drop : kept).push(attempt);
    if (drop.length === 0) return;
    this.waiting = kept;
    this.endWaiting(drop, []);
  }

  /**
   * Takes attempts already out of the line: `drop` end without a write (job:lost unless it was a
   * shutdown), `start` run.
   */
  private endWaiting(drop: Attempt[], start: Attempt[]): void {
    for (const attempt of drop) {
      const reason = attempt.abortedBy ?? leaseLostReason(attempt.job.id);
      void this.finishAttempt(attempt, this.settle(attempt, { kind: 'aborted', reason }));
    }
    for (const attempt of start) void this.finishAttempt(attempt, this.runAttempt(attempt));
  }

  /** Room under the type's own limit for one more, with `starting` of it already on their way. */
  private hasRoom(type: string, starting: number): boolean {
    const limit = this.options.handlers.get(type)?.concurrency ?? Number.POSITIVE_INFINITY;
    return (this.runningByType.get(type) ?? 0) + starting < limit;
  }

  /** Attempts out of the line that never started go back to the queue (stop), attempt not counted. */
  private handBack(attempts: Attempt[]): void {
    if (attempts.length === 0) return;
    for (const attempt of attempts) attempt.abort(shutdownReason());
    const released = this.release(attempts.map((attempt) => attempt.job));
    for (const attempt of attempts) void this.finishAttempt(attempt, released);
  }

  /** Awaits an attempt's work, then forgets the attempt. Never rejects. */
  private async finishAttempt(attempt: Attempt, work: Promise<void>): Promise<void> {
    const job = attempt.job;
    try {
      await work;
    } catch (error) {
      this.options.logger.error({ err: error, jobId: job.id }, 'unexpected error in attempt');
    } finally {
      attempt.end();
      this.attempts.delete(job.leaseToken);
      if (this.attemptsByJob.get(job.id) === attempt) this.attemptsByJob.delete(job.id);
      this.attemptTasks.done();
    }
  }

  private async settleUnhandled(attempt: Attempt): Promise<void> {
    attempt.phase = 'settling';
    const error = new SluiceError(ErrorCodes.noHandler, `this worker has no handler for job type "${attempt.job.type}"`);
    await this.settleFailure(attempt, { outcome: 'fail', error: { code: error.code, message: error.message, permanent: true } });
  }

  /** One attempt from its slot to its written result. */
  private async runAttempt(attempt: Attempt): Promise<void> {
    const job = attempt.job;
    const definition = this.options.handlers.get(job.type);
    if (!definition) throw new Error(`no handler for ${job.type}`); // admit() lets only handled types wait
    this.takeSlot(job.type);
    attempt.begin(this.options.clock.now());
    let outcome: AttemptOutcome;
    try {
      this.emitter.emit('job:started', { job });
      const timeoutMs = job.timeoutMs ?? definition.timeoutMs ?? this.options.defaultTimeoutMs;
      outcome = await attempt.run(this.handlerOf(job.type, definition), timeoutMs, (progress) =>
        this.reportProgress(attempt, progress),
      );
    } finally {
      // The slot frees as soon as the handler is done (or abandoned), before the result is written.
      this.freeSlot(job.type);
    }
    await this.settle(attempt, outcome);
  }

  /** The handler function of an attempt: the definition's own, or its batching window's. */
  private handlerOf(type: string, definition: HandlerDefinition<never, unknown>): HandlerFunction<never, unknown> {
    const { batch, handleBatch } = definition;
    if (!batch || !handleBatch) return definition.handle;
    let collector = this.collectors.get(type);
    if (!collector) {
      collector = new BatchCollector(batch, handleBatch);
      this.collectors.set(type, collector);
    }
    return collector.submit;
  }

  private async settle(attempt: Attempt, outcome: AttemptOutcome): Promise<void> {
    const job = attempt.job;
    if (outcome.kind === 'aborted') {
      // Lease lost or cancelled: the backend has moved on, so this attempt writes nothing.
      // Shutdown: stop() releases the job.
      if (abortKind(outcome.reason) !== 'shutdown') this.emitter.emit('job:lost', { job, reason: outcome.reason });
      return;
    }
    if (outcome.kind === 'succeeded') {
      const settled = await this.settler.complete({ ...attempt.lease, output: outcome.output });
      const now = this.options.clock.now();
      if (settled.result === 'ok')
        this.emitter.emitLazy('job:succeeded', () => ({
          job: endedJob(job, { outcome: 'succeeded', output: outcome.output }, now),
          output: outcome.output,
          durationMs: this.durationOf(attempt),
        }));
      else if (settled.result === 'failed')
        // The store could not keep the output: the job ended failed, and listeners hear it as such.
        this.emitter.emitLazy('job:failed', () => ({
          job: endedJob(job, { outcome: 'failed', error: settled.error }, now),
          error: settled.error,
          durationMs: this.durationOf(attempt),
        }));
      else if (settled.result === 'lease_lost') this.emitter.emit('job:lost', { job, reason: leaseLostReason(job.id) });
      return;
    }
    const decision = decideFailure(job, outcome.error, this.options.random);
    await this.settleFailure(
      attempt,
      decision.kind === 'retry'
        ? { outcome: 'retry', delayMs: decision.delayMs, error: decision.error }
        : { outcome: 'fail', error: decision.error },
    );
  }

  private async settleFailure(attempt: Attempt, failure: DistributiveOmit<FailItem, keyof LeaseRef>): Promise<void> {
    const job = attempt.job;
    const { result } = await this.settler.fail({ ...attempt.lease, ...failure });
    if (result === 'lease_lost') {
      this.emitter.emit('job:lost', { job, reason: leaseLostReason(job.id) });
    } else if (result === 'ok') {
      const now = this.options.clock.now();
      const durationMs = this.durationOf(attempt);
      if (failure.outcome === 'retry') {
        const ended = endedJob(job, { outcome: 'retry', error: failure.error, delayMs: failure.delayMs }, now);
        this.emitter.emit('job:retry', { job: ended, error: failure.error, delayMs: failure.delayMs, durationMs });
      } else {
        const ended = endedJob(job, { outcome: 'failed', error: failure.error }, now);
        this.emitter.emit('job:failed', { job: ended, error: failure.error, durationMs });
      }
    }
  }

  /** The handler's `progress(p)`: fenced by the lease; a lost lease aborts the handler. */
  private async reportProgress(attempt: Attempt, progress: unknown): Promise<void> {
    const job = attempt.job;
    if (attempt.phase !== 'running' || attempt.aborted) throw leaseLostReason(job.id);
    try {
      await this.backend.reportProgress({ ...attempt.lease, progress });
    } catch (error) {
      if (hasErrorCode(error, ErrorCodes.leaseLost)) {
        attempt.loseLease(leaseLostReason(job.id));
        throw error;
      }
      // Progress is best effort: a backend hiccup must not fail the job.
      this.reportError(error, 'progress');
    }
  }

  private beat(): void {
    if (this.heartbeatInFlight) return;
    this.heartbeatInFlight = this.heartbeat().finally(() => {
      this.heartbeatInFlight = undefined;
    });
  }

  /** One call extends every held lease; leases reported lost abort their handlers. Never rejects. */
  private async heartbeat(): Promise<void> {
    const held = [...this.attempts.values()].filter((attempt) => attempt.holdsLease);
    if (held.length === 0) return;
    try {
      const { lost } = await this.backend.heartbeat({
        leases: held.map((attempt) => attempt.lease),
        leaseMs: this.options.leaseMs,
      });
      const lostIds = new Set(lost);
      for (const attempt of held) {
        if (lostIds.has(attempt.job.id)) attempt.loseLease(leaseLostReason(attempt.job.id));
      }
      if (lostIds.size > 0) this.dropLostWaiting();
    } catch (error) {
      // The next beat retries; leases are long enough to survive a missed one or two.
      this.reportError(error, 'heartbeat');
    }
  }

  /** Hands jobs back without counting the attempt (shutdown). */
  private async release(jobs: ClaimedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    try {
      const outcomes = await withRetries(
        () => this.backend.release({ items: jobs.map((job) => ({ id: job.id, leaseToken: job.leaseToken })) }),
        { retries: WRITE_RETRIES, backoff: WRITE_BACKOFF, onError: (error) => this.reportError(error, 'release') },
      );
      const released = new Set(outcomes.filter((outcome) => outcome.result === 'ok').map((outcome) => outcome.id));
      for (const job of jobs) if (released.has(job.id)) this.emitter.emit('job:released', { job });
    } catch {
      // Given up: the leases expire and the jobs are reclaimed (the attempt then counts).
    }
  }

  private takeSlot(type: string): void {
    this.running.add();
    this.runningByType.set(type, (this.runningByType.get(type) ?? 0) + 1);
  }

  private freeSlot(type: string): void {
    this.runningByType.set(type, (this.runningByType.get(type) ?? 1) - 1);
    this.running.done();
    this.dispatch();
    if (this.exhaustedTypes.size < this.options.handlers.size) this.wake.wake();
  }

  /** News of claimable work: nothing is known to be out any more, and the claim loop looks now. */
  private workArrived(): void {
    this.exhaustedTypes.clear();
    this.wake.wake();
  }

  private durationOf(attempt: Attempt): number {
    return Math.max(0, this.options.clock.now() - attempt.startedAt);
  }

  private reportError(error: unknown, during: WorkerErrorPhase): void {
    this.options.logger.warn({ err: error, during, workerId: this.id }, `backend ${during} failed`);
    this.emitter.emit('error', { error, during });
  }
}

/** Omit that keeps the members of a union apart (plain Omit would merge them). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
