import type { Backend, WorkerJobStore } from '../core/backend.js';
import { ErrorCodes, SluiceError } from '../core/errors.js';
import type { ClaimedJob } from '../core/job.js';
import { cancelledReason, leaseLostReason } from './abort-reasons.js';
import { Attempt } from './attempt.js';
import { AttemptRunner } from './attempt-runner.js';
import { ClaimLoop } from './claim-loop.js';
import { Heartbeats } from './heartbeats.js';
import { HeldAttempts } from './held-attempts.js';
import { Outcomes } from './outcomes.js';
import type { OutputLogDeclaration } from './output-stream.js';
import { PrefetchLine } from './prefetch-line.js';
import { Shutdown } from './shutdown.js';
import { Slots } from './slots.js';
import { requireTenantClaims, type TenantClaimsDeclaration } from './tenant-binding.js';
import { type EventListener, TypedEmitter } from './typed-emitter.js';
import type { WorkerErrorPhase, WorkerEventMap } from './worker-events.js';
import { type ResolvedWorkerOptions, resolveWorkerOptions, type WorkerOptions } from './worker-options.js';

export type { WorkerOptions } from './worker-options.js';

/** `idle` before start, `running`, `stopping` during stop(), `stopped` after. */
export type WorkerState = 'idle' | 'running' | 'stopping' | 'stopped';

export interface StopOptions {
  /** How long in-flight jobs may still run; default the worker's shutdownGraceMs. */
  graceMs?: number;
}

/**
 * What a worker needs of a backend: the worker's job store and the change events; for a worker
 * bound to a tenant, the `tenantClaims` declaration too; for `ctx.emit`, the event log's
 * `appendOutput` when the backend declares `eventLog`.
 */
export type WorkerBackend = WorkerJobStore & Pick<Backend, 'events'> & TenantClaimsDeclaration & OutputLogDeclaration;

/**
 * Claims jobs from a Backend and runs their handlers. Each duty has its own part:
 * - the claim loop (claim-loop.ts) claims for free slots plus the prefetch, woken by the backend's
 *   news of work, a freed slot or the idle poll;
 * - the prefetch line (prefetch-line.ts) holds claimed jobs in claim order until a slot frees;
 *   the slots (slots.ts) count handlers running, in total and per type;
 * - heartbeats (heartbeats.ts) extend every held lease in one call; a lease reported lost, or a
 *   `job:cancelled` event, aborts that attempt and nothing more is written for it;
 * - the attempt runner (attempt-runner.ts) runs a handler under its timeout, and the outcomes
 *   (outcomes.ts) write its result in batches, failures classified by core's decideFailure;
 * - shutdown (shutdown.ts): stop() claims nothing more, in-flight jobs get the grace period, the
 *   rest are aborted and released (attempt not counted) so that another worker takes them.
 * This class wires them together and owns the state, the events and the subscription to the
 * backend's change events.
 *
 * The worker knows only the worker's role of the Backend port (WorkerBackend): it never imports an
 * adapter or a built-in handler.
 */
export class Worker {
  /** Names this worker in leases and logs. */
  readonly id: string;
  private readonly backend: WorkerBackend;
  private readonly options: ResolvedWorkerOptions;
  private readonly emitter = new TypedEmitter<WorkerEventMap>();
  private currentState: WorkerState = 'idle';
  private readonly held: HeldAttempts;
  private readonly slots: Slots;
  private readonly line: PrefetchLine;
  private readonly outcomes: Outcomes;
  private readonly runner: AttemptRunner;
  private readonly loop: ClaimLoop;
  private readonly heartbeats: Heartbeats;
  private readonly shutdown: Shutdown;
  private loopDone: Promise<void> = Promise.resolve();
  private unsubscribers: Array<() => void> = [];
  private stopping: Promise<void> | undefined;

  constructor(backend: WorkerBackend, options: WorkerOptions) {
    this.backend = backend;
    this.options = resolveWorkerOptions(options);
    // Refused when made, not when started: a worker that could claim other tenants' jobs must not exist.
    requireTenantClaims(backend, this.options.tenant);
    this.id = this.options.workerId;
    const reportError = (error: unknown, during: WorkerErrorPhase) => this.reportError(error, during);
    const isRunning = () => this.currentState === 'running';
    const emitter = this.emitter;
    this.held = new HeldAttempts(this.options.logger);
    this.slots = new Slots(this.options.concurrency, this.options.handlers);
    this.outcomes = new Outcomes(backend, emitter, { clock: this.options.clock, random: this.options.random, reportError });
    this.line = new PrefetchLine(this.slots, {
      isRunning,
      start: (attempt) => void this.held.finish(attempt, this.runner.run(attempt)),
      // A lost lease ends the attempt without a write (job:lost unless it was a shutdown).
      drop: (attempt) => {
        const reason = attempt.abortedBy ?? leaseLostReason(attempt.job.id);
        void this.held.finish(attempt, this.outcomes.settle(attempt, { kind: 'aborted', reason }));
      },
    });
    this.runner = new AttemptRunner({
      store: backend,
      options: this.options,
      slots: this.slots,
      outcomes: this.outcomes,
      emitter,
      onSlotFreed: () => {
        this.line.dispatch();
        this.loop.slotFreed();
      },
      reportError,
    });
    this.loop = new ClaimLoop({
      store: backend,
      options: this.options,
      slots: this.slots,
      line: this.line,
      isRunning,
      admit: (job) => this.admit(job),
      release: (jobs) => this.shutdown.release(jobs),
      reportError,
    });
    this.heartbeats = new Heartbeats({
      store: backend,
      held: this.held,
      leaseMs: this.options.leaseMs,
      heartbeatMs: this.options.heartbeatMs,
      onLost: () => this.line.dropLost(),
      reportError,
    });
    this.shutdown = new Shutdown({
      store: backend,
      loop: this.loop,
      line: this.line,
      slots: this.slots,
      held: this.held,
      runner: this.runner,
      outcomes: this.outcomes,
      heartbeats: this.heartbeats,
      emitter,
      reportError,
    });
  }

  get state(): WorkerState {
    return this.currentState;
  }

  /** Handlers running now. */
  get activeCount(): number {
    return this.slots.used;
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
    this.heartbeats.start();
    this.loopDone = this.loop.run();
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
        this.stopping = this.stopRunning(options.graceMs ?? this.options.shutdownGraceMs);
      }
    }
    return this.stopping;
  }

  private async stopRunning(graceMs: number): Promise<void> {
    this.currentState = 'stopping';
    await this.shutdown.run(graceMs, this.loopDone);
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
        if (queues.has(queue)) this.loop.workArrived();
      }),
      events.on('job:requeued', ({ queue }) => {
        if (queues.has(queue)) this.loop.workArrived();
      }),
      events.on('queue:paused', ({ queue, paused }) => {
        if (!paused && queues.has(queue)) this.loop.workArrived();
      }),
      events.on('job:cancelled', ({ id }) => {
        // Older leases of the id were already dropped when the newest one began.
        const attempt = this.held.ofJob(id);
        if (!attempt) return;
        attempt.loseLease(cancelledReason(id));
        if (attempt.phase === 'waiting') this.line.dropLost();
      }),
    );
  }

  /** A claimed job becomes an attempt under lease (heartbeats and cancels reach it from now on). */
  private admit(job: ClaimedJob): void {
    const attempt = new Attempt(job, this.options.clock.now(), 'waiting');
    // A new lease on a job proves that any older one this worker still has is gone. Dropping it
    // now also keeps one heartbeat from carrying two leases of the same id (lost ids are ambiguous).
    const older = this.held.ofJob(job.id);
    older?.loseLease(leaseLostReason(job.id));
    if (older?.phase === 'waiting') this.line.dropLost();
    this.held.add(attempt);
    if (!this.options.handlers.has(job.type)) {
      // The claim's type filter should make this impossible; a job must still never hang here.
      void this.held.finish(attempt, this.outcomes.settleUnhandled(attempt));
      return;
    }
    // stop() may have begun meanwhile (a listener of an event above): then the job goes straight back.
    if (this.currentState === 'running') this.line.push(attempt);
    else this.shutdown.handBack([attempt]);
  }

  private reportError(error: unknown, during: WorkerErrorPhase): void {
    this.options.logger.warn({ err: error, during, workerId: this.id }, `backend ${during} failed`);
    this.emitter.emit('error', { error, during });
  }
}
