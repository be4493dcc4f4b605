import type {
  Backend,
  BackendCapabilities,
  ClaimParams,
  CompleteParams,
  EnqueueParams,
  EnqueueResult,
  FailParams,
  HeartbeatParams,
  HeartbeatResult,
  ListParams,
  ListResult,
  ProgressParams,
  PurgeParams,
  ReclaimResult,
  RedriveParams,
  ReleaseParams,
  SettleOutcome,
  StoredOutput,
  UpdateRateBudgetParams,
} from '../../core/backend.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { ErrorCodes, SluiceError } from '../../core/errors.js';
import type { SluiceEvents } from '../../core/events.js';
import { type ClaimedJob, compareClaimOrder, type Job, type QueueStats } from '../../core/job.js';
import { toJobJson } from '../../core/job-json.js';
import type { ListedJob } from '../../core/listed-job.js';
import type { RateBudgetResult } from '../../core/rate-budget.js';
import type { RecordUsageParams, UsageParams, UsageTotals } from '../../core/usage.js';
import type { Broker, BrokerDelivery, OutgoingJob } from '../transport/broker.js';
import { IdleRelease } from '../transport/idle-release.js';
import { ReclaimedWatch } from '../transport/reclaimed-watch.js';

/**
 * INTERIM: the transport over a store, driving a Broker, ported from rabbitmq-backend.ts so that
 * the NATS broker runs before the shared transport (helper/transport, backends/transport/) lands;
 * nats-backend.ts switches to that one and this file goes. It keeps the RabbitMQ transport's
 * rules: store first, outbox relay, fenced claimIds, ack after the lease, dead-letter copies,
 * republish whatever goes back to waiting, the busy-worker release and the watch of reclaimed jobs.
 */
export interface TransportOptions<D extends BrokerDelivery> {
  broker: Broker<D>;
  /** Adapter name (`nats`). */
  name: string;
  store: Backend;
  clock?: Clock | undefined;
  ownsStore?: boolean | undefined;
  relayIntervalMs?: number | undefined;
  relayMinAgeMs?: number | undefined;
  claimSettleMs?: number | undefined;
  claimMaxWaitMs?: number | undefined;
  minPrefetch?: number | undefined;
  releaseIdleMs?: number | undefined;
  reclaimRecheckMs?: number | undefined;
  warn: (message: string) => void;
}

const RELAY_MAX_PER_QUEUE = 10_000;
const MAX_UNCONFIRMED = 10_000;

export class InterimTransport<D extends BrokerDelivery> implements Backend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  readonly events: SluiceEvents;
  readonly updateRateBudget?: (params: UpdateRateBudgetParams) => Promise<RateBudgetResult>;
  readonly recordUsage?: (params: RecordUsageParams) => Promise<void>;
  readonly usage?: (params: UsageParams) => Promise<UsageTotals>;
  readonly readOutput?: (params: { id: string; tenant?: string | undefined }) => Promise<StoredOutput | null>;

  protected readonly broker: Broker<D>;
  private readonly store: Backend;
  private readonly clock: Clock;
  private readonly ownsStore: boolean;
  private readonly warn: (message: string) => void;
  private readonly options: {
    relayIntervalMs: number;
    relayMinAgeMs: number;
    claimSettleMs: number;
    claimMaxWaitMs: number;
  };
  private closed = false;
  private readonly wanted = new Set<string>();
  private buffer: D[] = [];
  private readonly waiters = new Set<(d: D | undefined) => boolean>();
  private acceptedTypes: Set<string> | undefined = new Set();
  private prefetch: number;
  private lastRelayAt = Number.NEGATIVE_INFINITY;
  private relayTimer: NodeJS.Timeout | undefined;
  private relaying: Promise<void> | undefined;
  private readonly wakePending = new Map<string, number>();
  private readonly paused = new Set<string>();
  private unconfirmed = 0;
  private firstConnection = true;
  /** Stops consuming a queue whose worker is full (docs/rabbitmq.md, "A busy worker lets go"). */
  private readonly idleRelease: IdleRelease;
  /** Jobs reclaimed here, leased by id when their message does not come back in time. */
  private readonly reclaimed: ReclaimedWatch;

  constructor(options: TransportOptions<D>) {
    this.broker = options.broker;
    this.name = options.name;
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.ownsStore = options.ownsStore ?? true;
    this.warn = options.warn;
    this.options = {
      relayIntervalMs: options.relayIntervalMs ?? 5_000,
      relayMinAgeMs: options.relayMinAgeMs ?? 10_000,
      claimSettleMs: options.claimSettleMs ?? 0,
      claimMaxWaitMs: options.claimMaxWaitMs ?? 100,
    };
    this.prefetch = Math.max(1, options.minPrefetch ?? 1);
    const recheckMs = options.reclaimRecheckMs ?? 1000;
    this.reclaimed = new ReclaimedWatch(recheckMs, recheckMs + this.options.relayMinAgeMs + this.options.relayIntervalMs);
    this.idleRelease = new IdleRelease(options.releaseIdleMs ?? 1000, (queue) => {
      if (!this.closed) void this.stopConsuming(queue);
    });
    this.events = this.store.events;
    this.events.on('queue:paused', ({ queue, paused }) => {
      if (paused) this.paused.add(queue);
      else this.paused.delete(queue);
    });
    this.capabilities = {
      crossProcessEvents: this.store.capabilities.crossProcessEvents,
      multiMachine: this.store.capabilities.multiMachine,
      claimById: false,
      strictOrder: false,
      rateBudgets: this.store.capabilities.rateBudgets === true && this.store.updateRateBudget !== undefined,
      outputText: this.store.capabilities.outputText === true && this.store.readOutput !== undefined,
      usage: this.store.capabilities.usage === true && this.store.recordUsage !== undefined && this.store.usage !== undefined,
      synchronousWrites: this.store.capabilities.synchronousWrites === true,
    };
    const store = this.store;
    if (this.capabilities.rateBudgets) this.updateRateBudget = (params) => store.updateRateBudget!(params);
    if (this.capabilities.outputText) this.readOutput = (params) => store.readOutput!(params);
    if (this.capabilities.usage) {
      this.recordUsage = (params) => store.recordUsage!(params);
      this.usage = (params) => store.usage!(params);
    }
  }

  /** Connects (failing fast when the broker is unreachable) and starts the outbox relay. */
  async start(): Promise<void> {
    if (!this.store.capabilities.claimById || !this.store.claimIds) {
      throw new SluiceError(
        ErrorCodes.config,
        `the job store "${this.store.name}" cannot claim jobs by id; use a sqlite:, postgres:// or redis:// store`,
        { field: 'SLUICE_STORE' },
      );
    }
    await this.broker.setPrefetch(this.prefetch);
    await this.broker.connect({
      connected: async () => {
        for (const queue of this.wanted) await this.consume(queue);
        // A busy handle gets its consumers back too; those no claim asks for let go again.
        this.idleRelease.consumed(this.wanted);
        if (this.firstConnection) this.firstConnection = false;
        // Workers may have gone idle during the outage: tell them to claim again.
        else for (const queue of this.wanted) this.events.emit('jobs:enqueued', { queue, count: 0, remote: true });
      },
      disconnected: () => {
        this.buffer = [];
        for (const waiter of [...this.waiters]) waiter(undefined);
      },
    });
    this.scheduleRelay();
  }

  // ---- enqueue and claim ---------------------------------------------------------------------

  async enqueue(params: EnqueueParams): Promise<EnqueueResult[]> {
    const results = await this.store.enqueue(params);
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

  private async claimFromDeliveries(queues: string[], params: ClaimParams): Promise<ClaimedJob[]> {
    this.acceptTypes(params.types);
    if (params.limit > this.prefetch) {
      this.prefetch = params.limit;
      await this.broker.setPrefetch(this.prefetch).catch(() => undefined);
    }
    for (const queue of queues) this.wanted.add(queue);
    if (this.unconfirmed > 0) await this.broker.waitForConfirms().catch(() => undefined);
    for (const queue of queues) await this.consume(queue);

    const jobs = await this.claimBuffered(queues, params, params.limit);
    if (jobs.length < params.limit && this.reclaimed.size > 0) {
      jobs.push(...(await this.claimReclaimed(queues, params, params.limit - jobs.length)));
    }
    if (jobs.length < params.limit && this.relayDue()) {
      await this.relay(queues);
      jobs.push(...(await this.claimBuffered(queues, params, params.limit - jobs.length, jobs.length === 0)));
    }
    return jobs.sort(compareClaimOrder);
  }

  /** Leases, straight from the store, jobs reclaimed here whose message has not come back. */
  private async claimReclaimed(queues: string[], params: ClaimParams, limit: number): Promise<ClaimedJob[]> {
    const types = params.types === undefined ? undefined : new Set(params.types);
    const ids = this.reclaimed.takeDue(queues, types, limit, Date.now());
    if (ids.length === 0) return [];
    return this.store.claimIds!({ ids, types: params.types, leaseMs: params.leaseMs, workerId: params.workerId });
  }

  /** Stops consuming a queue and gives its buffered deliveries back (pause, a full worker). */
  private async stopConsuming(queue: string): Promise<void> {
    await this.broker.stopConsuming(queue);
    const mine = this.buffer.filter((d) => d.message.queue === queue);
    this.buffer = this.buffer.filter((d) => d.message.queue !== queue);
    this.broker.nack(mine);
  }

  /** Skipped while the broker is down (its API calls would wait for a connection); the connected
   * handler consumes again, with `connected` already true. */
  private async consume(queue: string): Promise<void> {
    if (this.paused.has(queue) || this.closed || !this.broker.connected) return;
    try {
      await this.broker.declareQueue(queue);
      await this.broker.consume(queue, (d) => this.onDelivery(d));
    } catch (error) {
      this.warn(`${this.broker.name}: could not consume ${queue}: ${(error as Error).message}`);
    }
  }

  /**
   * Waits briefly for deliveries (when `wait`), takes up to `limit` in claim order and leases them
   * in the store. Deliveries that lease nothing (a duplicate of a job already running or ended) do
   * not make the claim come up short while more are buffered: it takes again, without waiting.
   */
  private async claimBuffered(queues: string[], params: ClaimParams, limit: number, wait = true): Promise<ClaimedJob[]> {
    const types = params.types === undefined ? undefined : new Set(params.types);
    const matches = (d: D) => queues.includes(d.message.queue) && (types === undefined || types.has(d.message.type));
    if (wait) await this.waitForDeliveries(matches, limit);
    const claimed: ClaimedJob[] = [];
    while (claimed.length < limit) {
      const taken = this.take(matches, limit - claimed.length);
      if (taken.length === 0) break;
      let leasedNow: ClaimedJob[];
      try {
        leasedNow = await this.store.claimIds!({
          ids: taken.map((d) => d.message.id),
          types: params.types,
          leaseMs: params.leaseMs,
          workerId: params.workerId,
        });
      } catch (error) {
        this.broker.nack(taken);
        if (claimed.length > 0) return claimed;
        throw error;
      }
      const leased = new Set(leasedNow.map((job) => job.id));
      this.broker.ack(taken);
      claimed.push(...leasedNow);
      await this.rewaitEarly(taken.filter((d) => !leased.has(d.message.id)));
      if (leasedNow.length === taken.length) break;
    }
    return claimed;
  }

  private async rewaitEarly(unleased: D[]): Promise<void> {
    if (unleased.length === 0) return;
    const now = this.clock.now();
    const early = unleased.filter((d) => d.message.runAt > now);
    if (early.length === 0) return;
    const jobs = await Promise.all(early.map((d) => this.store.get({ id: d.message.id })));
    await this.publishJobs(jobs.filter((job): job is Job => job?.status === 'scheduled'));
  }

  private take(matches: (d: D) => boolean, limit: number): D[] {
    const candidates = this.buffer.filter(matches);
    candidates.sort((a, b) => compareClaimOrder(a.message, b.message));
    const taken = candidates.slice(0, limit);
    const set = new Set(taken);
    this.buffer = this.buffer.filter((d) => !set.has(d));
    return taken;
  }

  private waitForDeliveries(matches: (d: D) => boolean, limit: number): Promise<void> {
    const buffered = () => {
      let n = 0;
      for (const d of this.buffer) if (matches(d)) n++;
      return n;
    };
    const settleMs = this.options.claimSettleMs;
    const have = buffered();
    if (have >= limit || !this.broker.connected || (have > 0 && settleMs <= 0)) return Promise.resolve();
    return new Promise((resolve) => {
      let quiet: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(quiet);
        clearTimeout(hard);
        this.waiters.delete(onDelivery);
        resolve();
      };
      const onDelivery = (d: D | undefined): boolean => {
        if (d === undefined) {
          finish();
          return false;
        }
        if (!matches(d)) return false;
        if (settleMs <= 0 || buffered() >= limit) {
          finish();
          return true;
        }
        clearTimeout(quiet);
        quiet = setTimeout(finish, settleMs);
        return true;
      };
      if (settleMs > 0) quiet = setTimeout(finish, settleMs);
      const hard = setTimeout(finish, this.options.claimMaxWaitMs);
      this.waiters.add(onDelivery);
    });
  }

  private acceptTypes(types: string[] | undefined): void {
    if (types === undefined) this.acceptedTypes = undefined;
    else if (this.acceptedTypes !== undefined) for (const type of types) this.acceptedTypes.add(type);
  }

  private onDelivery(delivery: D): void {
    if (this.acceptedTypes !== undefined && !this.acceptedTypes.has(delivery.message.type)) {
      this.broker.nack([delivery]);
      return;
    }
    this.buffer.push(delivery);
    let taken = false;
    for (const waiter of [...this.waiters]) if (waiter(delivery)) taken = true;
    if (!taken) this.wake(delivery.message.queue);
  }

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
      await this.relay([params.queue], 0, true);
    }
  }

  async redrive(params: RedriveParams): Promise<number> {
    return this.republishing(() => this.store.redrive(params));
  }

  async reclaimExpired(params?: { limit?: number }): Promise<ReclaimResult> {
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
    clearTimeout(this.relayTimer);
    this.idleRelease.close();
    await this.relaying?.catch(() => undefined);
    for (const waiter of [...this.waiters]) waiter(undefined);
    this.buffer = [];
    await this.broker.close();
    if (this.ownsStore) await this.store.close();
  }

  /** Resolves once the broker's connection is up again (or at once). */
  whenConnected(): Promise<void> {
    return this.broker.whenConnected();
  }

  // ---- publishing and the relay ------------------------------------------------------------------

  private async republishing<T>(write: () => Promise<T>, onRepublished?: (jobs: Job[]) => void): Promise<T> {
    const ids: string[] = [];
    const off = this.store.events.on('job:requeued', ({ id }) => ids.push(id));
    let result: T;
    try {
      result = await write();
    } finally {
      off();
    }
    if (ids.length > 0) {
      const jobs = await Promise.all([...new Set(ids)].map((id) => this.store.get({ id })));
      const waiting = jobs.filter((job): job is Job => job?.status === 'queued' || job?.status === 'scheduled');
      await this.publishJobs(waiting);
      onRepublished?.(waiting);
    }
    return result;
  }

  private async deadLettering<T>(write: () => Promise<T>, ids: string[] | undefined): Promise<T> {
    if (ids !== undefined && ids.length === 0) return write();
    const mine = ids === undefined ? undefined : new Set(ids);
    const failed = new Map<string, Job>();
    const off = this.store.events.on(
      'job:finished',
      ({ job }) => {
        if (job.status !== 'failed' || (mine !== undefined && !mine.has(job.id))) return;
        failed.set(job.id, job);
      },
      { local: true },
    );
    let result: T;
    try {
      result = await write();
    } finally {
      off();
    }
    if (failed.size > 0) await this.publishDead([...failed.values()]);
    return result;
  }

  private async publishDead(jobs: Job[]): Promise<void> {
    if (!this.broker.connected) return;
    try {
      await this.broker.publishDead(
        jobs.map((job) => ({
          id: job.id,
          queue: job.queue,
          type: job.type,
          body: toJobJson(job),
          errorCode: job.error?.code ?? '',
          finishedAt: job.finishedAt ?? this.clock.now(),
        })),
      );
    } catch (error) {
      this.warn(
        `${this.broker.name} dead-letter publish failed (the store still holds the failed job): ${(error as Error).message}`,
      );
    }
  }

  private async publishJobs(
    jobs: ReadonlyArray<Pick<Job, 'id' | 'queue' | 'type' | 'priority' | 'runAt' | 'status'>>,
    until: 'confirmed' | 'sent' = 'confirmed',
  ): Promise<void> {
    if (jobs.length === 0 || !this.broker.connected) return;
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
      const outgoing: OutgoingJob[] = [];
      for (const job of jobs) {
        await this.broker.declareQueue(job.queue);
        const remaining = job.status === 'scheduled' ? job.runAt - now : 0;
        outgoing.push({
          message: { id: job.id, queue: job.queue, type: job.type, priority: job.priority, runAt: job.runAt },
          delayMs: Math.max(0, remaining),
        });
      }
      this.unconfirmed += outgoing.length;
      await this.broker.send(outgoing, confirmed);
      if (until === 'confirmed') await this.broker.waitForConfirms();
    } catch (error) {
      this.publishFailed(error);
    }
  }

  private publishFailed(error: unknown): void {
    if (!this.closed) this.warn(`${this.broker.name} publish failed, the outbox relay will retry: ${(error as Error).message}`);
  }

  private relayDue(): boolean {
    return Date.now() - this.lastRelayAt >= this.options.relayIntervalMs;
  }

  private scheduleRelay(): void {
    if (this.closed) return;
    const interval = Math.max(this.options.relayIntervalMs, 1_000);
    this.relayTimer = setTimeout(() => {
      this.relay(undefined).finally(() => this.scheduleRelay());
    }, interval);
    this.relayTimer.unref();
  }

  private relay(queues: string[] | undefined, minAgeMs = this.options.relayMinAgeMs, force = false): Promise<void> {
    if (this.relaying) return this.relaying;
    this.lastRelayAt = Date.now();
    this.relaying = this.relayOnce(queues, minAgeMs, force)
      .catch((error) => this.warn(`outbox relay failed: ${(error as Error).message}`))
      .finally(() => {
        this.relaying = undefined;
      });
    return this.relaying;
  }

  private async relayOnce(queues: string[] | undefined, minAgeMs: number, force: boolean): Promise<void> {
    if (!this.broker.connected || this.closed) return;
    const stats = await this.store.stats();
    const now = this.clock.now();
    for (const entry of stats) {
      if (queues !== undefined && !queues.includes(entry.name)) continue;
      if (entry.paused || entry.counts.queued === 0) continue;
      await this.broker.declareQueue(entry.name);
      const { ready, consumers } = await this.broker.depth(entry.name);
      const budget = relayBudget({
        waiting: entry.counts.queued,
        ready,
        consumerCount: consumers,
        prefetch: this.prefetch,
        force,
      });
      if (budget === 0) continue;
      const stale: ListedJob[] = [];
      let cursor: string | undefined;
      do {
        const page = await this.store.list({ queue: entry.name, status: 'queued', limit: 500, cursor });
        for (const job of page.jobs) if (now - Math.max(job.runAt, job.updatedAt) >= minAgeMs) stale.push(job);
        cursor = page.nextCursor;
      } while (cursor !== undefined && stale.length < budget);
      stale.length = Math.min(stale.length, budget);
      await this.publishJobs(stale.map((job) => ({ ...job, status: 'queued' as const, runAt: Math.min(job.runAt, now) })));
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new SluiceError(ErrorCodes.backendUnavailable, `the ${this.name} backend is closed`);
  }
}

/** As rabbitmq-backend.ts's relayBudget. */
function relayBudget(q: { waiting: number; ready: number; consumerCount: number; prefetch: number; force: boolean }): number {
  const shortfall = q.waiting - q.ready;
  if (shortfall <= 0) return 0;
  if (q.force || q.ready === 0) return Math.min(shortfall, RELAY_MAX_PER_QUEUE);
  return Math.min(Math.max(0, shortfall - q.consumerCount * q.prefetch), RELAY_MAX_PER_QUEUE);
}
