import {
  type AppendOutputParams,
  type Backend,
  type BackendCapabilities,
  type ClaimByIdStore,
  type ClaimParams,
  type CompleteParams,
  type EnqueueParams,
  type EnqueueResult,
  type FailParams,
  type FeedPage,
  type FeedParams,
  type HeartbeatParams,
  type HeartbeatResult,
  type JobEvent,
  type JobEventsParams,
  type ListParams,
  type ListResult,
  type ProgressParams,
  type PurgeParams,
  type ReclaimResult,
  type RecordStore,
  type RedriveParams,
  type ReleaseParams,
  type SettleOutcome,
  type StoredOutput,
  type UpdateRateBudgetParams,
  withCapability,
} from '../../core/backend.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { ErrorCodes, SluiceError } from '../../core/errors.js';
import type { SluiceEvents } from '../../core/events.js';
import { type ClaimedJob, compareClaimOrder, type Job, type QueueStats } from '../../core/job.js';
import type { RateBudgetResult } from '../../core/rate-budget.js';
import type { RecordUsageParams, UsageParams, UsageTotals } from '../../core/usage.js';
import type { Broker, BrokerDelivery, JobMessage } from './broker.js';
import { deadLetterCopy, deadLettering } from './dead-letter.js';
import { DeliveryBuffer } from './delivery-buffer.js';
import { IdleRelease } from './idle-release.js';
import { ReclaimedWatch } from './reclaimed-watch.js';
import { OutboxRelay, type PublishableJob } from './relay.js';
import { republishing } from './republishing.js';

/** Tuning of a transport over a store (the broker adapter's options pass these through). */
export interface TransportOptions {
  /** How often the outbox relay looks for jobs that the broker lost track of. Default 5000; 0 = at
   * every claim that came up short (tests on a fake clock). */
  relayIntervalMs?: number | undefined;
  /** A waiting job is republished only when it has waited at least this long (by the store's
   * timestamps): a fresh job's own publish is still in flight. Default 10 000. */
  relayMinAgeMs?: number | undefined;
  /** A claim short of jobs waits for more deliveries until none arrived for this long. Default 0:
   * it takes what is buffered at once and, with nothing buffered, returns at the first delivery. */
  claimSettleMs?: number | undefined;
  /** A claim waits at most this long in all. Default 100. */
  claimMaxWaitMs?: number | undefined;
  /** Lowest consumer prefetch; it grows to the largest claim limit seen (the worker's concurrency). */
  minPrefetch?: number | undefined;
  /**
   * A queue whose last claim here got every job it asked for, and that no claim here has asked for
   * since, for this long, has a full worker: the handle stops consuming it and gives its buffered
   * deliveries back to the broker, so that idle workers elsewhere run them instead of waiting behind
   * its running jobs. The next claim of the queue consumes again. Default 1000.
   */
  releaseIdleMs?: number | undefined;
  /**
   * A job this handle reclaimed (expired lease) whose message has not reached a claim here within
   * this long is leased straight from the store by the next claim that comes up short: the message
   * may sit in a frozen worker's prefetch window (see ReclaimedWatch). Default 1000.
   */
  reclaimRecheckMs?: number | undefined;
}

/** What the transport is made of. */
export interface TransportParts<D extends BrokerDelivery> {
  /** The backend's name (`rabbitmq`). */
  name: string;
  broker: Broker<D>;
  /** The job store: the source of truth for job records. Must declare `capabilities.claimById`. */
  store: Backend;
  /** Time source for delays computed here (must agree with the store's clock). Default: system. */
  clock?: Clock | undefined;
  /** Close the store on close(). Default true. */
  ownsStore?: boolean | undefined;
  /** Where trouble is reported (never thrown: a broker outage must not crash the process). */
  warn: (message: string) => void;
}

/** Enqueues stop answering before the broker's confirm while this many publishes are unconfirmed. */
const MAX_UNCONFIRMED = 10_000;

/**
 * The Backend port as a message broker (delivery) plus a job store (records), for any broker that
 * implements broker.ts. The store is the source of truth; the broker only carries wake-ups.
 *
 * - enqueue: the store write comes first (that is what makes 202 durable), then a persistent
 *   `{id,…}` message is published. The store is the outbox: the relay (relay.ts) republishes
 *   waiting jobs the broker does not hold (a crash or an outage between the two writes), so no
 *   accepted job is lost; the duplicates this can cause are absorbed by the store's fenced `claimIds`.
 * - claim: consumers with manual acks and a prefetch that follows the largest claim limit; each
 *   delivered id is leased in the store (`claimIds`, one batch). The message is acked once the store
 *   lease exists: from then on the lease (and the lease reaper, which republishes) protects the job,
 *   so a long handler does not pin a broker message and a connection drop does not redeliver every
 *   running job. A message whose job is not claimable (ended, running elsewhere, paused) is acked
 *   and dropped; one that came back early from a delay waits again. A claim scoped to a tenant is
 *   the store's own claim (the broker cannot filter by tenant); the message of a job it leased is
 *   dropped by whichever claim it reaches later, fenced by `claimIds`.
 * - whatever puts a job back to waiting (retry, release, reclaim, redrive, resume) republishes it
 *   (republishing.ts); a job that ends `failed` is also copied to the broker's dead letters
 *   (dead-letter.ts), informational, the store stays the truth. Everything else delegates to the store.
 * - the broker reconnects by itself; unacked deliveries come back by redelivery, leased jobs by
 *   their lease.
 */
export class TransportBackend<D extends BrokerDelivery = BrokerDelivery> implements Backend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  readonly events: SluiceEvents;
  /** The store's shared provider budgets, when it keeps them (declared by capabilities.rateBudgets). */
  readonly updateRateBudget?: (params: UpdateRateBudgetParams) => Promise<RateBudgetResult>;
  /** The store's token and cost accounting, when it keeps it (capabilities.usage). */
  readonly recordUsage?: (params: RecordUsageParams) => Promise<void>;
  readonly usage?: (params: UsageParams) => Promise<UsageTotals>;
  /** The store's read of a job's output text, when it has one (capabilities.outputText). */
  readonly readOutput?: (params: { id: string; tenant?: string | undefined }) => Promise<StoredOutput | null>;
  /** The store's event log, when it keeps one (capabilities.eventLog): every change the store makes
   * appends there, also those made through this transport; appendOutput is fenced by the store. */
  readonly jobEvents?: (params: JobEventsParams) => Promise<JobEvent[] | null>;
  readonly feed?: (params: FeedParams) => Promise<FeedPage>;
  readonly appendOutput?: (params: AppendOutputParams) => Promise<JobEvent>;
  /** The store's record store, when it has one (capabilities.records). */
  readonly putRecord?: RecordStore['putRecord'];
  readonly getRecord?: RecordStore['getRecord'];
  readonly listRecords?: RecordStore['listRecords'];
  readonly deleteRecord?: RecordStore['deleteRecord'];
  readonly purgeExpiredRecords?: RecordStore['purgeExpiredRecords'];

  protected readonly broker: Broker<D>;
  private readonly store: Backend;
  private readonly byId: ClaimByIdStore;
  private readonly clock: Clock;
  private readonly options: Required<{ [K in keyof TransportOptions]: number }>;
  private readonly ownsStore: boolean;
  private readonly warn: (message: string) => void;

  private closed = false;
  /** Sluice queues this handle consumes (re-established after a reconnect). */
  private readonly wanted = new Set<string>();
  private readonly buffer = new DeliveryBuffer<D>();
  private prefetch: number;
  private readonly outbox: OutboxRelay;
  private readonly wakePending = new Map<string, number>();
  /** Queues known to be paused: not consumed, so their messages wait in the broker. */
  private readonly paused = new Set<string>();
  /** Publishes sent and not yet confirmed (or refused) by the broker. */
  private unconfirmed = 0;
  /** Stops consuming a queue whose worker is full (see the releaseIdleMs option). */
  private readonly idleRelease: IdleRelease;
  /** Jobs reclaimed here, leased by id when their message does not come back in time. */
  private readonly reclaimed: ReclaimedWatch;
  private readonly onDelivery = (delivery: D) => this.delivered(delivery);

  constructor(parts: TransportParts<D>, options: TransportOptions = {}) {
    const byId = withCapability(parts.store, 'claimById');
    if (byId === undefined) {
      throw new SluiceError(
        ErrorCodes.config,
        `the job store "${parts.store.name}" cannot claim jobs by id; use a sqlite:, postgres:// or redis:// store`,
        { field: 'SLUICE_STORE' },
      );
    }
    this.name = parts.name;
    this.broker = parts.broker;
    this.store = parts.store;
    this.byId = byId;
    this.clock = parts.clock ?? systemClock;
    this.ownsStore = parts.ownsStore ?? true;
    this.warn = parts.warn;
    this.options = {
      relayIntervalMs: options.relayIntervalMs ?? 5_000,
      relayMinAgeMs: options.relayMinAgeMs ?? 10_000,
      claimSettleMs: options.claimSettleMs ?? 0,
      claimMaxWaitMs: options.claimMaxWaitMs ?? 100,
      minPrefetch: Math.max(1, options.minPrefetch ?? 1),
      releaseIdleMs: options.releaseIdleMs ?? 1000,
      reclaimRecheckMs: options.reclaimRecheckMs ?? 1000,
    };
    this.prefetch = this.options.minPrefetch;
    this.reclaimed = new ReclaimedWatch(
      this.options.reclaimRecheckMs,
      this.options.reclaimRecheckMs + this.options.relayMinAgeMs + this.options.relayIntervalMs,
    );
    this.idleRelease = new IdleRelease(this.options.releaseIdleMs, (queue) => {
      if (!this.closed) void this.stopConsuming(queue);
    });
    this.outbox = new OutboxRelay({
      store: this.store,
      broker: this.broker,
      clock: this.clock,
      prefetch: () => this.prefetch,
      // Looked up at each call: tests watch what the relay publishes.
      publish: (jobs) => this.publishJobs(jobs),
      warn: this.warn,
      intervalMs: this.options.relayIntervalMs,
      minAgeMs: this.options.relayMinAgeMs,
    });
    this.events = this.store.events;
    this.events.on('queue:paused', ({ queue, paused }) => {
      if (paused) this.paused.add(queue);
      else this.paused.delete(queue);
    });
    const store = this.store.capabilities;
    const rateBudgets = withCapability(this.store, 'rateBudgets');
    const outputText = withCapability(this.store, 'outputText');
    const usage = withCapability(this.store, 'usage');
    const eventLog = withCapability(this.store, 'eventLog');
    const records = withCapability(this.store, 'records');
    this.capabilities = {
      // Deliveries wake this handle's workers whoever enqueued, so wake-ups cross processes.
      crossProcessEvents: store.crossProcessEvents,
      multiMachine: store.multiMachine,
      claimById: false,
      strictOrder: false,
      rateBudgets: rateBudgets !== undefined,
      outputText: outputText !== undefined,
      usage: usage !== undefined,
      eventLog: eventLog !== undefined,
      records: records !== undefined,
      // A tenant's claim is the store's own (see claim).
      tenantClaims: store.tenantClaims === true,
      // The publish after the store write is a synchronous send (its confirm is not awaited).
      synchronousWrites: store.synchronousWrites === true,
    };
    // Optional roles the store has are the transport's too: budgets, accounting, the log and records
    // live in the store.
    if (rateBudgets) this.updateRateBudget = (params) => rateBudgets.updateRateBudget(params);
    if (outputText) this.readOutput = (params) => outputText.readOutput(params);
    if (usage) {
      this.recordUsage = (params) => usage.recordUsage(params);
      this.usage = (params) => usage.usage(params);
    }
    if (eventLog) {
      this.jobEvents = (params) => eventLog.jobEvents(params);
      this.feed = (params) => eventLog.feed(params);
      this.appendOutput = (params) => eventLog.appendOutput(params);
    }
    if (records) {
      this.putRecord = (params) => records.putRecord(params);
      this.getRecord = (params) => records.getRecord(params);
      this.listRecords = (params) => records.listRecords(params);
      this.deleteRecord = (params) => records.deleteRecord(params);
      this.purgeExpiredRecords = (params) => records.purgeExpiredRecords(params);
    }
  }

  /** Connects (rejecting when the broker is unreachable) and starts the outbox relay. */
  async start(): Promise<void> {
    await this.broker.connect({ connected: () => this.onConnected(), disconnected: () => this.onDisconnected() });
    this.outbox.start();
  }

  // ---- enqueue and claim ---------------------------------------------------------------------

  async enqueue(params: EnqueueParams): Promise<EnqueueResult[]> {
    const results = await this.store.enqueue(params);
    // Published after the store write (the outbox order); a failure here is the relay's to repair.
    // The answer does not wait for the broker's confirm: the store write is what makes the job
    // durable, and a publish the broker loses is repaired by the relay whether or not anyone waited
    // (a failed confirm only ever warned).
    await this.publishJobs(
      results.filter((r) => r.created).map((r) => r.job),
      this.unconfirmed < MAX_UNCONFIRMED ? 'sent' : 'confirmed',
    );
    return results;
  }

  async claim(params: ClaimParams): Promise<ClaimedJob[]> {
    this.checkOpen();
    if (params.limit <= 0 || params.queues.length === 0) return [];
    if (params.types !== undefined && params.types.length === 0) return [];
    if (params.tenant !== undefined) return this.claimForTenant(params);
    const queues = [...new Set(params.queues)];
    this.idleRelease.claimStarted(queues);
    let satisfied = false;
    try {
      const jobs = await this.claimFromDeliveries(queues, params);
      satisfied = jobs.length >= params.limit;
      return jobs;
    } finally {
      this.idleRelease.claimEnded(queues, satisfied);
    }
  }

  /**
   * A claim scoped to one tenant: the broker's deliveries carry no tenant and any of them may be
   * another tenant's, so the store claims (its own claim honours the tenant, the order and pauses).
   * The leased jobs' messages stay in the broker and lease nothing when a claim takes them (fenced).
   */
  private async claimForTenant(params: ClaimParams): Promise<ClaimedJob[]> {
    if (!this.capabilities.tenantClaims) {
      throw new SluiceError(
        ErrorCodes.config,
        `the job store "${this.store.name}" cannot scope a claim to a tenant; use a sqlite: or postgres:// store`,
        { field: 'SLUICE_STORE' },
      );
    }
    return this.store.claim(params);
  }

  private async claimFromDeliveries(queues: string[], params: ClaimParams): Promise<ClaimedJob[]> {
    this.buffer.acceptTypes(params.types);
    if (params.limit > this.prefetch) {
      this.prefetch = params.limit;
      await this.broker.setPrefetch(this.prefetch).catch(() => undefined);
    }
    for (const queue of queues) this.wanted.add(queue);
    // This handle's own enqueues answer before the broker confirms them: a claim here first lets
    // them reach their queues, so that what it enqueued before claiming comes out in broker order.
    if (this.unconfirmed > 0) await this.broker.waitForConfirms().catch(() => undefined);
    await this.ensureConsumers(queues);

    const jobs = await this.claimBuffered(queues, params, params.limit);
    if (jobs.length < params.limit && this.reclaimed.size > 0) {
      jobs.push(...(await this.claimReclaimed(queues, params, params.limit - jobs.length)));
    }
    if (jobs.length < params.limit && this.outbox.due()) {
      await this.relay(queues);
      // A claim that already has jobs returns them now rather than wait for what the relay sent.
      jobs.push(...(await this.claimBuffered(queues, params, params.limit - jobs.length, jobs.length === 0)));
    }
    return jobs.sort(compareClaimOrder);
  }

  /** Leases, straight from the store, jobs reclaimed here whose message has not come back (see ReclaimedWatch). */
  private async claimReclaimed(queues: string[], params: ClaimParams, limit: number): Promise<ClaimedJob[]> {
    const types = params.types === undefined ? undefined : new Set(params.types);
    const ids = this.reclaimed.takeDue(queues, types, limit, Date.now());
    if (ids.length === 0) return [];
    return this.byId.claimIds({ ids, types: params.types, leaseMs: params.leaseMs, workerId: params.workerId });
  }

  /** Waits briefly for deliveries (when `wait`), takes up to `limit` in claim order and leases them in the store. */
  private async claimBuffered(queues: string[], params: ClaimParams, limit: number, wait = true): Promise<ClaimedJob[]> {
    const types = params.types === undefined ? undefined : new Set(params.types);
    const matches = (d: D) => queues.includes(d.message.queue) && (types === undefined || types.has(d.message.type));
    if (wait) {
      await this.buffer.waitFor(matches, limit, this.broker.connected, {
        settleMs: this.options.claimSettleMs,
        maxWaitMs: this.options.claimMaxWaitMs,
      });
    }
    // Deliveries that lease nothing (a stale duplicate of a job already running or ended) must not
    // make the claim come up short while more are buffered: take again, without waiting.
    const claimed: ClaimedJob[] = [];
    while (claimed.length < limit) {
      const taken = this.buffer.take(matches, limit - claimed.length);
      if (taken.length === 0) break;
      let leasedNow: ClaimedJob[];
      try {
        leasedNow = await this.byId.claimIds({
          ids: taken.map((d) => d.message.id),
          types: params.types,
          leaseMs: params.leaseMs,
          workerId: params.workerId,
        });
      } catch (error) {
        // The store could not lease them: give the messages back to the broker for a later claim.
        this.broker.nack(taken);
        if (claimed.length > 0) return claimed;
        throw error;
      }
      const leased = new Set(leasedNow.map((job) => job.id));
      // Acked once the store lease exists: the lease protects the job from here on.
      this.broker.ack(taken);
      claimed.push(...leasedNow);
      await this.rewaitEarly(taken.filter((d) => !leased.has(d.message.id)));
      if (leasedNow.length === taken.length) break;
    }
    return claimed;
  }

  /**
   * Deliveries that leased nothing: dropped (the job ended, runs elsewhere, or its queue is paused:
   * resuming republishes), except a job not yet due, which goes back to wait for the rest.
   */
  private async rewaitEarly(unleased: D[]): Promise<void> {
    if (unleased.length === 0) return;
    const now = this.clock.now();
    const early = unleased.filter((d) => d.message.runAt > now);
    if (early.length === 0) return;
    const jobs = await Promise.all(early.map((d) => this.store.get({ id: d.message.id })));
    await this.publishJobs(jobs.filter((job): job is Job => job?.status === 'scheduled'));
  }

  private delivered(delivery: D): void {
    if (!this.buffer.accepts(delivery.message.type)) {
      // No claim here runs this type: let another consumer have it.
      this.broker.nack([delivery]);
      return;
    }
    // No claim here is collecting it: wake this process's idle workers so that one claims it now.
    if (!this.buffer.add(delivery)) this.wake(delivery.message.queue);
  }

  /** Tells this process's workers that work arrived (coalesced per tick). Marked remote: metrics
   * counted the job where it was enqueued. */
  private wake(queue: string): void {
    const pending = this.wakePending.size === 0;
    this.wakePending.set(queue, (this.wakePending.get(queue) ?? 0) + 1);
    if (!pending) return;
    setImmediate(() => {
      const counts = [...this.wakePending];
      this.wakePending.clear();
      for (const [q, count] of counts) this.events.emit('jobs:enqueued', { queue: q, count, remote: true });
    });
  }

  // ---- attempt-scoped writes: the store, then republish what went back to waiting --------------

  async heartbeat(params: HeartbeatParams): Promise<HeartbeatResult> {
    return this.store.heartbeat(params);
  }

  async complete(params: CompleteParams): Promise<SettleOutcome[]> {
    const outcomes = await this.store.complete(params);
    // A completion can still end `failed` (an output over the store's size limit): the outcome says
    // so. Not a job:finished listener: while one is attached, the store reads back every row it
    // finishes, and a PostgreSQL store every row other processes finish too.
    const failed = outcomes.filter((outcome) => outcome.result === 'failed');
    if (failed.length > 0) {
      const jobs = await Promise.all(failed.map(({ id }) => this.store.get({ id })));
      await this.publishDead(jobs.filter((job): job is Job => job?.status === 'failed'));
    }
    return outcomes;
  }

  async fail(params: FailParams): Promise<SettleOutcome[]> {
    const final = params.items.filter((item) => item.outcome === 'fail').map((item) => item.id);
    return this.deadLettering(() => this.republishing(() => this.store.fail(params)), final);
  }

  async release(params: ReleaseParams): Promise<SettleOutcome[]> {
    return this.republishing(() => this.store.release(params));
  }

  async reportProgress(params: ProgressParams): Promise<void> {
    return this.store.reportProgress(params);
  }

  async cancel(params: { id: string; tenant?: string | undefined }): Promise<Job> {
    // The message (if any) stays in the broker and is dropped when delivered: the job has ended.
    return this.store.cancel(params);
  }

  async get(params: { id: string; tenant?: string | undefined }): Promise<Job | null> {
    return this.store.get(params);
  }

  async list(params: ListParams): Promise<ListResult> {
    return this.store.list(params);
  }

  async pauseQueue(params: { queue: string; paused: boolean }): Promise<void> {
    await this.store.pauseQueue(params);
    if (params.paused) {
      await this.stopConsuming(params.queue);
    } else {
      // Deliveries dropped while it was paused (here or elsewhere) come back through the relay.
      await this.relay([params.queue], 0, true);
    }
  }

  async redrive(params: RedriveParams): Promise<number> {
    return this.republishing(() => this.store.redrive(params));
  }

  async reclaimExpired(params?: { limit?: number }): Promise<ReclaimResult> {
    // Out of attempts, an expired lease ends the job `failed`: that goes to the dead letters.
    // A reclaim follows a dead or frozen worker: its republished messages are watched (claimReclaimed).
    const watch = (jobs: Job[]) => this.reclaimed.add(jobs, Date.now());
    return this.deadLettering(() => this.republishing(() => this.store.reclaimExpired(params), watch), undefined);
  }

  async purgeFinished(params: PurgeParams): Promise<number> {
    return this.store.purgeFinished(params);
  }

  async stats(params?: { queue?: string | undefined; tenant?: string | undefined }): Promise<QueueStats[]> {
    return this.store.stats(params);
  }

  async ping(): Promise<void> {
    this.checkOpen();
    if (!this.broker.connected) {
      throw new SluiceError(ErrorCodes.backendUnavailable, `${this.broker.name} connection is down (reconnecting)`);
    }
    await this.store.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.idleRelease.close();
    await this.outbox.close();
    this.buffer.endWaits();
    // Closing the connection hands every unacked delivery back to the broker.
    await this.broker.close();
    if (this.ownsStore) await this.store.close();
  }

  /** Resolves once the broker connection is up again (or at once). */
  async whenConnected(): Promise<void> {
    if (!this.closed) await this.broker.whenConnected();
  }

  // ---- publishing ------------------------------------------------------------------------------

  /**
   * Publishes one message per job (waiting ones for now, future ones with their delay) and waits
   * for the broker's confirms, or (`sent`) only until the messages are written, a refused or lost
   * publish then reported by its own confirm callback. Never throws: a job left unpublished stays
   * in the store, and the relay publishes it later.
   */
  private async publishJobs(jobs: readonly PublishableJob[], until: 'confirmed' | 'sent' = 'confirmed'): Promise<void> {
    if (jobs.length === 0 || !this.broker.connected) return;
    // In the background (`sent`) the batch's first failure is reported by its confirm callback.
    let failed = false;
    const confirmed = (error?: Error) => {
      this.unconfirmed -= 1;
      if (error && until === 'sent' && !failed) {
        failed = true;
        this.publishFailed(error);
      }
    };
    try {
      const now = this.clock.now();
      for (const job of jobs) {
        await this.broker.declareQueue(job.queue);
        // The store's clock decided whether the job is due (its status); the process clock only
        // sizes the wait of a scheduled job. Comparing runAt with this process's clock for a due
        // job would send it to wait for a second whenever the store's clock runs slightly ahead.
        const remaining = job.status === 'scheduled' ? job.runAt - now : 0;
        const message: JobMessage = { id: job.id, queue: job.queue, type: job.type, priority: job.priority, runAt: job.runAt };
        // One at a time: a send that throws leaves the count of unconfirmed publishes exact.
        await this.broker.send([{ message, delayMs: Math.max(0, remaining) }], confirmed);
        this.unconfirmed += 1;
      }
      if (until === 'confirmed') await this.broker.waitForConfirms();
    } catch (error) {
      this.publishFailed(error);
    }
  }

  private publishFailed(error: unknown): void {
    // A close drops the connection under unconfirmed publishes: the store still has those jobs.
    if (!this.closed) this.warn(`${this.broker.name} publish failed, the outbox relay will retry: ${(error as Error).message}`);
  }

  /** One outbox relay pass (see relay.ts); joins one already running. */
  private relay(queues: string[] | undefined, minAgeMs?: number, force = false): Promise<void> {
    return this.outbox.run(queues, minAgeMs, force);
  }

  private async republishing<T>(write: () => Promise<T>, onRepublished?: (jobs: Job[]) => void): Promise<T> {
    const { result, republished } = await republishing(this.store, write, (jobs) => this.publishJobs(jobs));
    if (republished.length > 0) onRepublished?.(republished);
    return result;
  }

  private deadLettering<T>(write: () => Promise<T>, ids: string[] | undefined): Promise<T> {
    return deadLettering(this.store.events, write, ids, (jobs) => this.publishDead(jobs));
  }

  /**
   * Publishes a copy of each failed job to the broker's dead letters, with confirms. Informational
   * only: the store stays the source of truth (GET /v1/dlq, redrive), Sluice never consumes these,
   * and a copy lost to an outage is not republished. Never throws.
   */
  private async publishDead(jobs: Job[]): Promise<void> {
    if (jobs.length === 0 || !this.broker.connected) return;
    try {
      const now = this.clock.now();
      await this.broker.publishDead(jobs.map((job) => deadLetterCopy(job, now)));
    } catch (error) {
      this.warn(
        `${this.broker.name} dead-letter publish failed (the store still holds the failed job): ${(error as Error).message}`,
      );
    }
  }

  // ---- consumers -------------------------------------------------------------------------------

  /** A connection is up: consume again what this handle consumed, and tell idle workers. */
  private async onConnected(): Promise<void> {
    await this.ensureConsumers([...this.wanted]);
    // A busy handle gets its consumers back too; those no claim asks for let go again.
    this.idleRelease.consumed(this.wanted);
    // Workers may have gone idle during an outage: tell them to claim again.
    for (const queue of this.wanted) this.events.emit('jobs:enqueued', { queue, count: 0, remote: true });
  }

  /** The connection is gone: its unacked deliveries return to the broker, so forget our copies. */
  private onDisconnected(): void {
    this.buffer.clear();
  }

  private async ensureConsumers(queues: string[]): Promise<void> {
    for (const queue of queues) {
      if (!this.broker.connected) return;
      if (this.paused.has(queue)) continue;
      await this.broker.declareQueue(queue);
      await this.broker.consume(queue, this.onDelivery);
    }
  }

  private async stopConsuming(queue: string): Promise<void> {
    await this.broker.stopConsuming(queue).catch(() => undefined);
    // Buffered deliveries of the queue go back to the broker, in place, for a later claim.
    const back = this.buffer.takeQueue(queue);
    if (back.length > 0) this.broker.nack(back);
  }

  private checkOpen(): void {
    if (this.closed) throw new SluiceError(ErrorCodes.backendUnavailable, `the ${this.broker.name} backend is closed`);
  }
}
