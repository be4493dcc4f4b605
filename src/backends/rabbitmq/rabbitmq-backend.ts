import { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, connect } from 'amqplib';
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
import { groupBy } from '../../core/group-by.js';
import { type ClaimedJob, compareClaimOrder, type Job, type QueueStats } from '../../core/job.js';
import { toJobJson } from '../../core/job-json.js';
import type { ListedJob } from '../../core/listed-job.js';
import type { RateBudgetResult } from '../../core/rate-budget.js';
import type { RecordUsageParams, UsageParams, UsageTotals } from '../../core/usage.js';
import { IdleRelease } from '../transport/idle-release.js';
import { ReclaimedWatch } from '../transport/reclaimed-watch.js';
import { SOCKET_OPTIONS, withHeartbeat } from './connect-options.js';
import { OpenDeliveries } from './open-deliveries.js';
import {
  amqpPriority,
  deadLetterExchangeName,
  deadQueueName,
  decodeMessage,
  delayBucketMs,
  encodeMessage,
  type JobMessage,
  MAX_AMQP_PRIORITY,
  waitQueueName,
  workQueueName,
} from './topology.js';

/** Options of the RabbitMQ transport. */
export interface RabbitmqBackendOptions {
  /** `amqp://user:pass@host:5672/vhost`. */
  url: string;
  /** The job store: the source of truth for job records. Must declare `capabilities.claimById`. */
  store: Backend;
  /** Time source for delays computed here (must agree with the store's clock). Default: system. */
  clock?: Clock | undefined;
  /** Prefix of every queue name. Default `sluice`. */
  prefix?: string | undefined;
  /** Close the store on close(). Default true (open-backend hands over a store of its own). */
  ownsStore?: boolean | undefined;
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
  /** Where connection trouble is reported (never thrown: a broker outage must not crash the process). */
  warn?: ((message: string) => void) | undefined;
}

interface Delivery {
  message: JobMessage;
  raw: ConsumeMessage;
  /** The channel it came on: an ack must go back on it, and a replaced channel makes it moot. */
  channel: Channel;
}

interface Consumer {
  tag: string;
  channel: Channel;
}

/** An open connection and its two channels: confirms for publishing, plain for consuming. */
interface Link {
  model: ChannelModel;
  pub: ConfirmChannel;
  sub: Channel;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;
/** Most jobs one relay pass republishes per queue: bounds the work of a pass. */
const RELAY_MAX_PER_QUEUE = 10_000;
/** Enqueues stop answering before the broker's confirm while this many publishes are unconfirmed. */
const MAX_UNCONFIRMED = 10_000;

/**
 * The Backend port on RabbitMQ (delivery) plus a job store (records).
 *
 * - enqueue: the store write comes first (that is what makes 202 durable), then a persistent
 *   `{id,…}` message is published with publisher confirms. The store is the outbox: the relay
 *   republishes waiting jobs the broker does not hold (a crash or an outage between the two
 *   writes), so no accepted job is lost; the duplicates this can cause are absorbed by the store's
 *   fenced `claimIds`.
 * - claim: consumers with manual acks and a prefetch that follows the largest claim limit; each
 *   delivered id is leased in the store (`claimIds`, one batch). The message is acked once the store
 *   lease exists: from then on the lease (and the lease reaper, which republishes) protects the job,
 *   so a long handler does not pin a broker message and a channel drop does not redeliver every
 *   running job. A message whose job is not claimable (ended, running elsewhere, paused) is acked
 *   and dropped; one that came back early from a wait queue waits again.
 * - delays and retry backoff: per-delay wait queues (message TTL + dead-lettering back into the
 *   work queue; no plugin). Everything else delegates to the store, and whatever puts a job back to
 *   waiting (retry, release, reclaim, redrive, resume) republishes it.
 * - a job that ends `failed` is also copied to the durable dead-letter exchange `PREFIX.dlx`
 *   (queue `PREFIX.QUEUE.dead`) for broker-side tooling; informational, the store stays the truth.
 * - the connection is re-established with backoff after a broker restart; unacked deliveries come
 *   back by redelivery, leased jobs by their lease.
 */
export class RabbitmqBackend implements Backend {
  readonly name = 'rabbitmq';
  readonly capabilities: BackendCapabilities;
  readonly events: SluiceEvents;
  /** The store's shared provider budgets, when it keeps them (present only then: callers test for it). */
  readonly updateRateBudget?: (params: UpdateRateBudgetParams) => Promise<RateBudgetResult>;
  /** The store's token and cost accounting, when it keeps it (present only then). */
  readonly recordUsage?: (params: RecordUsageParams) => Promise<void>;
  readonly usage?: (params: UsageParams) => Promise<UsageTotals>;
  /** The store's read of a job's output text, when it has one (present only then). */
  readonly readOutput?: (params: { id: string; tenant?: string | undefined }) => Promise<StoredOutput | null>;

  private readonly store: Backend;
  private readonly url: string;
  private readonly clock: Clock;
  private readonly prefix: string;
  private readonly options: {
    relayIntervalMs: number;
    relayMinAgeMs: number;
    claimSettleMs: number;
    claimMaxWaitMs: number;
    minPrefetch: number;
    releaseIdleMs: number;
    reclaimRecheckMs: number;
  };
  private readonly ownsStore: boolean;
  private readonly warn: (message: string) => void;

  private link: Link | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = RECONNECT_MIN_MS;
  private closed = false;
  /** Queues whose topology is declared on the current connection. */
  private readonly declared = new Set<string>();
  /** Every queue name this handle declared (for tests that delete their topology). */
  private readonly everDeclared = new Set<string>();
  private readonly everDeclaredExchanges = new Set<string>();
  /** Sluice queues this handle consumes (re-established after a reconnect). */
  private readonly wanted = new Set<string>();
  private readonly consumers = new Map<string, Consumer>();
  private readonly buffer: Delivery[] = [];
  /** Per channel, the deliveries kept for claims and not yet settled (cumulative acks need them). */
  private readonly open = new Map<Channel, OpenDeliveries>();
  /** Claims waiting for deliveries: each says whether it takes the delivery (undefined: link gone). */
  private readonly waiters = new Set<(d: Delivery | undefined) => boolean>();
  /** Types some claim on this handle asked for (undefined: any): deliveries of other types go back. */
  private acceptedTypes: Set<string> | undefined = new Set();
  private prefetch: number;
  private lastRelayAt = Number.NEGATIVE_INFINITY;
  private relayTimer: NodeJS.Timeout | undefined;
  private relaying: Promise<void> | undefined;
  private readonly wakePending = new Map<string, number>();
  /** Queues known to be paused: not consumed, so their messages wait in the broker. */
  private readonly paused = new Set<string>();
  /** Publishes sent and not yet confirmed (or refused) by the broker. */
  private unconfirmed = 0;
  /** Stops consuming a queue whose worker is full (see the releaseIdleMs option). */
  private readonly idleRelease: IdleRelease;
  /** Jobs reclaimed here, leased by id when their message does not come back in time. */
  private readonly reclaimed: ReclaimedWatch;

  private constructor(options: RabbitmqBackendOptions) {
    this.store = options.store;
    this.url = options.url;
    this.clock = options.clock ?? systemClock;
    this.prefix = options.prefix ?? 'sluice';
    this.ownsStore = options.ownsStore ?? true;
    this.warn = options.warn ?? ((message) => process.emitWarning(message, { code: 'SLUICE_RABBITMQ' }));
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
    this.events = this.store.events;
    this.events.on('queue:paused', ({ queue, paused }) => {
      if (paused) this.paused.add(queue);
      else this.paused.delete(queue);
    });
    this.capabilities = {
      // Deliveries wake this handle's workers whoever enqueued, so wake-ups cross processes.
      crossProcessEvents: this.store.capabilities.crossProcessEvents,
      multiMachine: this.store.capabilities.multiMachine,
      claimById: false,
      strictOrder: false,
      rateBudgets: this.store.capabilities.rateBudgets === true && this.store.updateRateBudget !== undefined,
      outputText: this.store.capabilities.outputText === true && this.store.readOutput !== undefined,
      usage: this.store.capabilities.usage === true && this.store.recordUsage !== undefined && this.store.usage !== undefined,
      // The publish after the store write is a synchronous send (its confirm is not awaited).
      synchronousWrites: this.store.capabilities.synchronousWrites === true,
    };
    // Optional operations the store has are the transport's too: budgets and accounting are records.
    const store = this.store;
    if (this.capabilities.rateBudgets) this.updateRateBudget = (params) => store.updateRateBudget!(params);
    if (this.capabilities.outputText) this.readOutput = (params) => store.readOutput!(params);
    if (this.capabilities.usage) {
      this.recordUsage = (params) => store.recordUsage!(params);
      this.usage = (params) => store.usage!(params);
    }
  }

  /** Connects (failing fast when the broker is unreachable at start) and starts the outbox relay. */
  static async open(options: RabbitmqBackendOptions): Promise<RabbitmqBackend> {
    if (!options.store.capabilities.claimById || !options.store.claimIds) {
      throw new SluiceError(
        ErrorCodes.config,
        `the job store "${options.store.name}" cannot claim jobs by id; use a sqlite:, postgres:// or redis:// store`,
        { field: 'SLUICE_STORE' },
      );
    }
    const backend = new RabbitmqBackend(options);
    try {
      await backend.connectOnce();
    } catch (error) {
      throw new SluiceError(
        ErrorCodes.backendUnavailable,
        `RabbitMQ is not reachable at ${redact(options.url)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    backend.scheduleRelay();
    return backend;
  }

  // ---- enqueue and claim ---------------------------------------------------------------------

  async enqueue(params: EnqueueParams): Promise<EnqueueResult[]> {
    const results = await this.store.enqueue(params);
    // Published after the store write (the outbox order); a failure here is the relay's to repair.
    // The answer does not wait for the broker's confirm: the store write is what makes the job
    // durable, and a publish the broker loses is repaired by the relay whether or not anyone waited
    // (a failed confirm only ever warned). Waiting put the confirm, 0.3-0.7 ms, into every enqueue.
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
      await this.link?.sub.prefetch(this.prefetch, true).catch(() => undefined);
    }
    for (const queue of queues) this.wanted.add(queue);
    // This handle's own enqueues answer before the broker confirms them: a claim here first lets
    // them reach their queues, so that what it enqueued before claiming comes out in broker order.
    if (this.unconfirmed > 0) await this.link?.pub.waitForConfirms().catch(() => undefined);
    await this.ensureConsumers(queues);

    const jobs = await this.claimBuffered(queues, params, params.limit);
    if (jobs.length < params.limit && this.reclaimed.size > 0) {
      jobs.push(...(await this.claimReclaimed(queues, params, params.limit - jobs.length)));
    }
    if (jobs.length < params.limit && this.relayDue()) {
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
    return this.store.claimIds!({ ids, types: params.types, leaseMs: params.leaseMs, workerId: params.workerId });
  }

  /** Waits briefly for deliveries (when `wait`), takes up to `limit` in claim order and leases them in the store. */
  private async claimBuffered(queues: string[], params: ClaimParams, limit: number, wait = true): Promise<ClaimedJob[]> {
    const types = params.types === undefined ? undefined : new Set(params.types);
    const matches = (d: Delivery) => queues.includes(d.message.queue) && (types === undefined || types.has(d.message.type));
    if (wait) await this.waitForDeliveries(matches, limit);
    const taken = this.take(matches, limit);
    if (taken.length === 0) return [];
    let claimed: ClaimedJob[];
    try {
      claimed = await this.store.claimIds!({
        ids: taken.map((d) => d.message.id),
        types: params.types,
        leaseMs: params.leaseMs,
        workerId: params.workerId,
      });
    } catch (error) {
      // The store could not lease them: give the messages back to the broker for a later claim.
      this.nack(taken);
      throw error;
    }
    const leased = new Set(claimed.map((job) => job.id));
    // Acked once the store lease exists: the lease protects the job from here on.
    this.ack(taken);
    await this.rewaitEarly(taken.filter((d) => !leased.has(d.message.id)));
    return claimed;
  }

  /**
   * Deliveries that leased nothing: dropped (the job ended, runs elsewhere, or its queue is paused:
   * resuming republishes), except a job not yet due, which goes back to wait for the rest.
   */
  private async rewaitEarly(unleased: Delivery[]): Promise<void> {
    if (unleased.length === 0) return;
    const now = this.clock.now();
    const early = unleased.filter((d) => d.message.runAt > now);
    if (early.length === 0) return;
    const jobs = await Promise.all(early.map((d) => this.store.get({ id: d.message.id })));
    await this.publishJobs(jobs.filter((job): job is Job => job?.status === 'scheduled'));
  }

  private take(matches: (d: Delivery) => boolean, limit: number): Delivery[] {
    const candidates = this.buffer.filter(matches);
    candidates.sort((a, b) => compareClaimOrder(a.message, b.message));
    const taken = candidates.slice(0, limit);
    const set = new Set(taken);
    for (let i = this.buffer.length - 1; i >= 0; i--) if (set.has(this.buffer[i]!)) this.buffer.splice(i, 1);
    return taken;
  }

  /**
   * Resolves when the claim has something to take, never blocking long (a claim is a short poll):
   * - at once when `limit` matching deliveries are buffered, or (settle 0, the default) when any is;
   * - with none buffered, at the first matching delivery (every delivery of one socket read is
   *   buffered by the time the claim resumes, so a burst is still leased in one store call);
   * - with a settle time, not before deliveries went quiet for that long (tests of claim order);
   * - in any case at the maximum wait.
   */
  private waitForDeliveries(matches: (d: Delivery) => boolean, limit: number): Promise<void> {
    const buffered = () => {
      let n = 0;
      for (const d of this.buffer) if (matches(d)) n++;
      return n;
    };
    const settleMs = this.options.claimSettleMs;
    const have = buffered();
    if (have >= limit || this.link === undefined || (have > 0 && settleMs <= 0)) return Promise.resolve();
    return new Promise((resolve) => {
      let quiet: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(quiet);
        clearTimeout(hard);
        this.waiters.delete(onDelivery);
        resolve();
      };
      // Returns whether the claim takes this delivery (then no separate wake-up is needed for it).
      const onDelivery = (d: Delivery | undefined): boolean => {
        if (d === undefined) {
          finish(); // connection gone or handle closed
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

  private onDelivery(channel: Channel, raw: ConsumeMessage | null): void {
    if (raw === null) return; // the broker cancelled the consumer (queue deleted): reconnect re-consumes
    const message = decodeMessage(raw.content);
    if (message === undefined) {
      safely(() => channel.ack(raw));
      return;
    }
    if (this.acceptedTypes !== undefined && !this.acceptedTypes.has(message.type)) {
      // No claim here runs this type: let another consumer have it.
      safely(() => channel.nack(raw, false, true));
      return;
    }
    const delivery: Delivery = { message, raw, channel };
    this.openOn(channel).add(raw.fields.deliveryTag);
    this.buffer.push(delivery);
    let taken = false;
    for (const waiter of [...this.waiters]) if (waiter(delivery)) taken = true;
    // No claim here is collecting it: wake this process's idle workers so that one claims it now.
    if (!taken) this.wake(message.queue);
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
    // Out of attempts, an expired lease ends the job `failed`: that goes to the dead-letter exchange.
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
    if (this.link === undefined) {
      throw new SluiceError(ErrorCodes.backendUnavailable, 'RabbitMQ connection is down (reconnecting)');
    }
    await this.store.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.relayTimer);
    this.idleRelease.close();
    await this.relaying?.catch(() => undefined);
    for (const waiter of [...this.waiters]) waiter(undefined);
    const link = this.link;
    this.link = undefined;
    // Closing the channels hands every unacked delivery back to the broker.
    if (link) await link.model.close().catch(() => undefined);
    if (this.ownsStore) await this.store.close();
  }

  /** Every queue name this handle declared: tests delete them to leave the broker as they found it. */
  declaredQueues(): string[] {
    return [...this.everDeclared];
  }

  /** Every exchange name this handle declared (the dead-letter exchange), for the same purpose. */
  declaredExchanges(): string[] {
    return [...this.everDeclaredExchanges];
  }

  /** Closes the current connection as if the broker dropped it (tests); the handle reconnects. */
  async dropConnection(): Promise<void> {
    await this.link?.model.close().catch(() => undefined);
  }

  /** Resolves once a connection is up again (or at once). */
  async whenConnected(): Promise<void> {
    while (!this.closed && this.link === undefined) {
      if (!this.connecting) this.scheduleReconnect(0);
      await (this.connecting ?? new Promise<void>((resolve) => setTimeout(resolve, RECONNECT_MIN_MS)));
    }
  }

  // ---- republishing ----------------------------------------------------------------------------

  /**
   * Runs a store write and republishes every job it put back to waiting. The store announces those
   * with `job:requeued` during the call, which covers retries, releases, reclaims and redrives alike.
   * A remote event that lands in the window only causes a duplicate, which fencing absorbs.
   */
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

  /**
   * Runs a store write and publishes a copy of every job it ended `failed` to the dead-letter
   * exchange. The store announces those with `job:finished` during the call; `ids` limits them to
   * this call's items (undefined: any change made by this process, for sweeps). Remote events are
   * another process's to publish.
   */
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
      { local: true }, // other processes publish their own copies
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

  /**
   * Publishes a copy of each failed job (the job as JSON, as the API shows it) to `PREFIX.dlx`,
   * routed to `PREFIX.QUEUE.dead`, with publisher confirms. Informational only: the store stays the
   * source of truth (GET /v1/dlq, redrive), Sluice never consumes these, and a copy lost to an outage
   * is not republished. Never throws.
   */
  private async publishDead(jobs: Job[]): Promise<void> {
    const link = this.link;
    if (!link) return;
    try {
      for (const job of jobs) {
        await this.declareDead(link, job.queue);
        link.pub.publish(deadLetterExchangeName(this.prefix), job.queue, Buffer.from(JSON.stringify(toJobJson(job))), {
          persistent: true,
          messageId: job.id,
          type: 'sluice.job.failed',
          contentType: 'application/json',
          timestamp: Math.floor((job.finishedAt ?? this.clock.now()) / 1000),
          headers: { 'x-sluice-queue': job.queue, 'x-sluice-type': job.type, 'x-sluice-error-code': job.error?.code ?? '' },
        });
      }
      await link.pub.waitForConfirms();
    } catch (error) {
      this.warn(`RabbitMQ dead-letter publish failed (the store still holds the failed job): ${(error as Error).message}`);
    }
  }

  /**
   * Publishes one message per job (waiting ones to the work queue, future ones to a wait queue) and
   * waits for the broker's confirms, or (`sent`) only until the messages are written, a refused or
   * lost publish then reported by its own confirm callback. Never throws: a job left unpublished
   * stays in the store, and the relay publishes it later.
   */
  private async publishJobs(
    jobs: ReadonlyArray<Pick<Job, 'id' | 'queue' | 'type' | 'priority' | 'runAt' | 'status'>>,
    until: 'confirmed' | 'sent' = 'confirmed',
  ): Promise<void> {
    if (jobs.length === 0) return;
    const link = this.link;
    if (!link) return;
    // Each message's confirm callback: amqplib calls it on ack, nack and channel close. In the
    // background (`sent`) the batch's first failure is reported there; waitForConfirms is not used
    // for that, as every call of it wraps the callback of every publish still unconfirmed.
    let failed = false;
    const confirmed = (error: unknown) => {
      this.unconfirmed -= 1;
      if (error && until === 'sent' && !failed) {
        failed = true;
        this.publishFailed(error);
      }
    };
    try {
      const now = this.clock.now();
      for (const job of jobs) {
        const work = workQueueName(this.prefix, job.queue);
        await this.declareWork(link, job.queue);
        // The store's clock decided whether the job is due (its status); the process clock only
        // sizes the wait of a scheduled job. Comparing runAt with this process's clock for a due
        // job would send it to a 1 s wait queue whenever the store's clock runs slightly ahead.
        const remaining = job.status === 'scheduled' ? job.runAt - now : 0;
        let target = work;
        if (remaining > 0) {
          const bucket = delayBucketMs(remaining);
          target = waitQueueName(this.prefix, job.queue, bucket);
          await this.declareWait(link, job.queue, bucket);
        }
        const message: JobMessage = { id: job.id, queue: job.queue, type: job.type, priority: job.priority, runAt: job.runAt };
        link.pub.sendToQueue(
          target,
          encodeMessage(message),
          { persistent: true, priority: amqpPriority(job.priority), messageId: job.id, contentType: 'application/json' },
          confirmed,
        );
        // Counted once sent: a send on a closed channel throws before registering its callback.
        this.unconfirmed += 1;
      }
      if (until === 'confirmed') await link.pub.waitForConfirms();
    } catch (error) {
      this.publishFailed(error);
    }
  }

  private publishFailed(error: unknown): void {
    // A close drops the channel under unconfirmed publishes: the store still has those jobs.
    if (!this.closed) this.warn(`RabbitMQ publish failed, the outbox relay will retry: ${(error as Error).message}`);
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

  /**
   * The outbox relay: for each waiting queue (not paused) whose broker queue holds fewer ready
   * messages than the store has waiting jobs, republish waiting jobs older than the minimum age.
   * Store-side it needs nothing but the port (stats, list); duplicates are harmless (fenced).
   *
   * A shortfall is not yet a loss: deliveries sit unacked in consumers' prefetch windows until they
   * are leased, and the broker counts those as not ready while the store still has them waiting.
   * So a pass republishes only what the shortfall exceeds those windows by, or, once the broker has
   * nothing ready left to deliver, every stale waiting job (at most a window's worth of them can be
   * in flight). Without this margin every pass during a backlog would republish thousands of jobs
   * the broker still holds, and list the whole backlog to find them. `force` (resume) skips it.
   */
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
    const link = this.link;
    if (!link || this.closed) return;
    const stats = await this.store.stats();
    const now = this.clock.now();
    for (const entry of stats) {
      if (queues !== undefined && !queues.includes(entry.name)) continue;
      if (entry.paused || entry.counts.queued === 0) continue;
      await this.declareWork(link, entry.name);
      const { messageCount, consumerCount } = await link.pub.checkQueue(workQueueName(this.prefix, entry.name));
      const budget = relayBudget({
        waiting: entry.counts.queued,
        ready: messageCount,
        consumerCount,
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
      // Due now, whatever runAt said when it was written: straight to the work queue.
      await this.publishJobs(stale.map((job) => ({ ...job, runAt: Math.min(job.runAt, now) })));
    }
  }

  // ---- connection, topology, consumers ---------------------------------------------------------

  private async connectOnce(): Promise<void> {
    // No Nagle: acks, publishes and confirms are small frames on one socket; with Nagle a publish
    // written behind an ack waits for the broker's delayed TCP ack (~40 ms) before it leaves.
    const model = await connect(withHeartbeat(this.url), SOCKET_OPTIONS);
    try {
      const pub = await model.createConfirmChannel();
      const sub = await model.createChannel();
      // Per channel (global): every consumer of this handle shares one window of unacked deliveries.
      await sub.prefetch(this.prefetch, true);
      const link: Link = { model, pub, sub };
      model.on('error', (error: Error) => this.warn(`RabbitMQ connection error: ${error.message}`));
      model.on('close', () => this.onLinkClosed(link));
      for (const channel of [pub, sub]) {
        channel.on('error', (error: Error) => this.warn(`RabbitMQ channel error: ${error.message}`));
        // A channel closed by the broker (e.g. a precondition failure) takes the connection down with
        // it, so that one reconnect path restores everything.
        channel.on('close', () => {
          if (this.link === link) model.close().catch(() => undefined);
        });
      }
      if (this.closed) {
        await model.close();
        return;
      }
      this.link = link;
      this.declared.clear();
      this.reconnectDelay = RECONNECT_MIN_MS;
      await this.ensureConsumers([...this.wanted]);
      // A busy handle gets its consumers back too; those no claim asks for let go again.
      this.idleRelease.consumed(this.wanted);
    } catch (error) {
      await model.close().catch(() => undefined);
      throw error;
    }
  }

  private onLinkClosed(link: Link): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.consumers.clear();
    this.declared.clear();
    // Unacked deliveries of the dead channel return to the broker; forget our copies.
    for (let i = this.buffer.length - 1; i >= 0; i--) if (this.buffer[i]!.channel === link.sub) this.buffer.splice(i, 1);
    this.open.delete(link.sub);
    for (const waiter of [...this.waiters]) waiter(undefined);
    if (!this.closed) {
      this.warn('RabbitMQ connection closed; reconnecting');
      this.scheduleReconnect(this.reconnectDelay);
    }
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.closed || this.connecting || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connecting = this.connectOnce()
        .then(() => {
          // Workers may have gone idle during the outage: tell them to claim again.
          for (const queue of this.wanted) this.events.emit('jobs:enqueued', { queue, count: 0, remote: true });
        })
        .catch((error) => {
          this.warn(`RabbitMQ reconnect failed: ${(error as Error).message}`);
          this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
          this.connecting = undefined;
          this.scheduleReconnect(this.reconnectDelay);
        })
        .finally(() => {
          if (this.link !== undefined) this.connecting = undefined;
        });
    }, delayMs);
    this.reconnectTimer.unref();
  }

  private async declareWork(link: Link, queue: string): Promise<void> {
    const name = workQueueName(this.prefix, queue);
    if (this.declared.has(name)) return;
    await link.pub.assertQueue(name, {
      durable: true,
      arguments: { 'x-queue-type': 'classic', 'x-max-priority': MAX_AMQP_PRIORITY },
    });
    this.declared.add(name);
    this.everDeclared.add(name);
  }

  private async declareWait(link: Link, queue: string, bucketMs: number): Promise<void> {
    const name = waitQueueName(this.prefix, queue, bucketMs);
    if (this.declared.has(name)) return;
    await link.pub.assertQueue(name, {
      durable: true,
      arguments: {
        'x-queue-type': 'classic',
        'x-message-ttl': bucketMs,
        // Expired messages go to the default exchange under the work queue's name: back to work.
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': workQueueName(this.prefix, queue),
      },
    });
    this.declared.add(name);
    this.everDeclared.add(name);
  }

  /** The dead-letter exchange and one queue's dead queue, bound by the queue's name. */
  private async declareDead(link: Link, queue: string): Promise<void> {
    const exchange = deadLetterExchangeName(this.prefix);
    const name = deadQueueName(this.prefix, queue);
    if (this.declared.has(name)) return;
    if (!this.declared.has(exchange)) {
      await link.pub.assertExchange(exchange, 'direct', { durable: true });
      this.declared.add(exchange);
      this.everDeclaredExchanges.add(exchange);
    }
    await link.pub.assertQueue(name, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    await link.pub.bindQueue(name, exchange, queue);
    this.declared.add(name);
    this.everDeclared.add(name);
  }

  private async ensureConsumers(queues: string[]): Promise<void> {
    const link = this.link;
    if (!link) return;
    for (const queue of queues) {
      if (this.consumers.has(queue) || this.paused.has(queue)) continue;
      await this.declareWork(link, queue);
      const channel = link.sub;
      const { consumerTag } = await channel.consume(workQueueName(this.prefix, queue), (raw) => this.onDelivery(channel, raw), {
        noAck: false,
      });
      if (this.link !== link) return;
      this.consumers.set(queue, { tag: consumerTag, channel });
    }
  }

  private async stopConsuming(queue: string): Promise<void> {
    const consumer = this.consumers.get(queue);
    if (!consumer) return;
    this.consumers.delete(queue);
    await consumer.channel.cancel(consumer.tag).catch(() => undefined);
    // Buffered deliveries of the paused queue go back to the broker, in place, for the resume.
    for (let i = this.buffer.length - 1; i >= 0; i--) {
      const d = this.buffer[i]!;
      if (d.message.queue !== queue) continue;
      this.buffer.splice(i, 1);
      this.nack([d]);
    }
  }

  private openOn(channel: Channel): OpenDeliveries {
    let open = this.open.get(channel);
    if (!open) {
      open = new OpenDeliveries();
      this.open.set(channel, open);
    }
    return open;
  }

  /** Acks leased deliveries: one cumulative ack per channel where that settles exactly them. */
  private ack(deliveries: Delivery[]): void {
    for (const [channel, group] of groupBy(deliveries, (d) => d.channel)) {
      const last = this.openOn(channel).settle(group.map((d) => d.raw.fields.deliveryTag));
      const lastDelivery = group.find((d) => d.raw.fields.deliveryTag === last);
      if (lastDelivery) safely(() => channel.ack(lastDelivery.raw, true));
      else for (const d of group) safely(() => channel.ack(d.raw));
    }
  }

  /** Gives deliveries back to the broker, in place, for a later claim (here or elsewhere). */
  private nack(deliveries: Delivery[]): void {
    for (const [channel, group] of groupBy(deliveries, (d) => d.channel)) {
      this.open.get(channel)?.forget(group.map((d) => d.raw.fields.deliveryTag));
      for (const d of group) safely(() => channel.nack(d.raw, false, true));
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new SluiceError(ErrorCodes.backendUnavailable, 'the RabbitMQ backend is closed');
  }
}

/** Opens the RabbitMQ transport over the given store. */
export async function openRabbitmqBackend(options: RabbitmqBackendOptions): Promise<Backend> {
  return RabbitmqBackend.open(options);
}

/**
 * How many stale waiting jobs one relay pass may republish to a queue (see `relay`): the shortfall
 * of ready messages beyond what the consumers' prefetch windows can hold unacked (this handle's
 * window standing in for each consumer's), or up to the pass maximum once nothing is ready.
 */
export function relayBudget(q: {
  waiting: number;
  ready: number;
  consumerCount: number;
  prefetch: number;
  force: boolean;
}): number {
  const shortfall = q.waiting - q.ready;
  if (shortfall <= 0) return 0;
  if (q.force || q.ready === 0) return Math.min(shortfall, RELAY_MAX_PER_QUEUE);
  return Math.min(Math.max(0, shortfall - q.consumerCount * q.prefetch), RELAY_MAX_PER_QUEUE);
}

/** Acks and nacks on a channel that has since closed throw; the broker has requeued those already. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Nothing to do: see above.
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}
