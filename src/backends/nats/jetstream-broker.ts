import {
  type Consumer,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import type { Broker, BrokerDelivery, BrokerEvents, DeadLetterCopy, OutgoingJob, QueueDepth } from '../transport/broker.js';
import { decodeMessage, encodeMessage } from '../transport/job-message.js';
import { connectionOptions, type NatsUrl, ReconnectBackoff } from './connect-options.js';
import { deadStreamName, deadSubject, WORK_CONSUMER, workStreamName, workSubject } from './names.js';
import { PullLoop } from './pull-loop.js';
import { declareDeadStream, declareWorkQueue } from './topology.js';

/** A delivery from a queue's pull consumer. */
export interface NatsDelivery extends BrokerDelivery {
  readonly msg: JsMsg;
  /** The pull loop that handed it over: settling it makes room in that loop's window. */
  readonly loop: PullLoop;
}

export interface JetStreamBrokerOptions {
  url: NatsUrl;
  /** Prefix of every stream and subject. Default `sluice`. */
  prefix?: string | undefined;
  /** Where connection trouble is reported (never thrown). */
  warn: (message: string) => void;
  /** How long a JetStream API call or publish waits for the server's answer. Default 10 000. */
  requestTimeoutMs?: number | undefined;
  /** How long one pull request waits on the server (tests of stop and reconnect shorten it). */
  fetchExpiresMs?: number | undefined;
}

/** A delivery due this close to now is handed over rather than held back again. */
/**
 * A delayed message carries its due time in this header, not in the body: the body's runAt is the
 * store's clock, the header the publisher's wall clock that the server's redelivery timer runs on.
 */
const NOT_BEFORE_HEADER = 'Sluice-Not-Before';

const DUE_SLACK_MS = 5;

/**
 * The Broker seam on NATS JetStream (nats-server 2.9+, no plugin, no 2.11 scheduling):
 *
 * - one work-queue stream and one shared durable pull consumer per Sluice queue
 *   (`PREFIX__QUEUE`, subject `PREFIX.work.QUEUE`); every handle pulls from it, so the server
 *   spreads messages over handles; a message lives in the stream until it is acked.
 * - publish: `js.publish` per job; its PubAck is the confirm (the stream stored it durably). No
 *   Nats-Msg-Id on job messages: the transport republishes the same job id on purpose (retries,
 *   releases, resume, the relay) and the stream's duplicate window would drop those.
 * - delays: JetStream 2.9 holds no message back at publish, so a delayed message carries its due
 *   time in a header and, when delivered early, is nak'd with the rest of its delay: the server
 *   keeps it and delivers it again when due. Only then does the transport see it.
 * - priorities: none on the wire. The stream delivers in publish order; one claim sorts what this
 *   handle holds (see docs/nats.md).
 * - window: each queue's pull asks for exactly the room left in the handle's prefetch (PullLoop).
 * - reconnect: the client reconnects by itself; deliveries that the transport held when the
 *   connection dropped are nak'd once it is back, so they are delivered again at once instead of
 *   after the ack deadline.
 * - dead-letter copies: the limits stream `PREFIX__dead`, subject `PREFIX.dead.QUEUE`.
 */
export class JetStreamBroker implements Broker<NatsDelivery> {
  readonly name = 'NATS';
  private readonly prefix: string;
  private readonly backoff = new ReconnectBackoff();
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  private events: BrokerEvents | undefined;
  /** The transport knows the connection is up (its `connected` handler ran). */
  private up = false;
  /** Counts connection losses: a consumer set up across one belongs to the dead connection. */
  private epoch = 0;
  /** The epoch whose connection is up (the client's own state, before the transport's handler ran). */
  private epochUp = -1;
  private closing = false;
  private readonly upWaiters = new Set<() => void>();
  /** Queues whose stream and consumer were declared since the connection last came up. */
  private readonly declared = new Set<string>();
  private deadDeclared = false;
  private readonly everDeclaredStreams = new Set<string>();
  private readonly consumers = new Map<string, Consumer>();
  private readonly loops = new Map<string, PullLoop>();
  /** Deliveries handed to the transport and not settled yet. */
  private readonly open = new Set<NatsDelivery>();
  /** Those the transport forgot when the connection dropped: nak'd once it is back. */
  private orphans: NatsDelivery[] = [];
  /** Publishes not yet answered by a PubAck (or a failure). */
  private readonly pending = new Set<Promise<unknown>>();
  private prefetch = 1;

  constructor(private readonly options: JetStreamBrokerOptions) {
    this.prefix = options.prefix ?? 'sluice';
  }

  get connected(): boolean {
    return this.up;
  }

  async connect(events: BrokerEvents): Promise<void> {
    this.events = events;
    const nc = await connect(connectionOptions(this.options.url, 'sluice', this.backoff));
    try {
      const timeout = this.options.requestTimeoutMs ?? 10_000;
      // Fails when the server has no JetStream: better at start than at the first publish.
      this.jsm = await jetstreamManager(nc, { timeout });
      this.js = jetstream(nc, { timeout });
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw error;
    }
    this.nc = nc;
    this.epochUp = this.epoch;
    void this.watch(nc);
    try {
      await this.cameUp(true);
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw error;
    }
  }

  whenConnected(): Promise<void> {
    if (this.up || this.closing) return Promise.resolve();
    return new Promise((resolve) => this.upWaiters.add(resolve));
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.up = false;
    for (const resolve of this.upWaiters) resolve();
    this.upWaiters.clear();
    await Promise.all([...this.loops.values()].map((loop) => loop.stop()));
    this.loops.clear();
    const nc = this.nc;
    if (!nc) return;
    // Held deliveries go back now rather than at their ack deadline.
    this.nak([...this.open, ...this.orphans]);
    this.orphans = [];
    // Connected: let publishes answer and the naks leave. Down: a flush would wait for the next
    // connection, so close at once (unanswered publishes are the relay's, as ever).
    if (!nc.isClosed() && this.epochUp === this.epoch) {
      await Promise.allSettled([...this.pending]);
      await nc.flush().catch(() => undefined);
    }
    await nc.close().catch(() => undefined);
  }

  async declareQueue(queue: string): Promise<void> {
    if (this.declared.has(queue)) return;
    await declareWorkQueue(this.manager(), this.prefix, queue);
    this.declared.add(queue);
    this.everDeclaredStreams.add(workStreamName(this.prefix, queue));
  }

  async send(jobs: readonly OutgoingJob[], onConfirm: (error?: Error) => void): Promise<void> {
    const js = this.client();
    for (const job of jobs) {
      const hdrs = job.delayMs > 0 ? headers() : undefined;
      hdrs?.set(NOT_BEFORE_HEADER, String(Date.now() + job.delayMs));
      const ack = js.publish(workSubject(this.prefix, job.message.queue), encodeMessage(job.message), {
        ...(hdrs ? { headers: hdrs } : {}),
      });
      this.track(ack);
      ack.then(
        () => onConfirm(),
        (error: unknown) => {
          // No stream took it (deleted by an operator?): declare it again before the next publish.
          this.forget(job.message.queue);
          onConfirm(error as Error);
        },
      );
    }
  }

  async waitForConfirms(): Promise<void> {
    if (!this.up) throw new Error('NATS connection is down');
    await Promise.all([...this.pending]);
  }

  async publishDead(copies: readonly DeadLetterCopy[]): Promise<void> {
    if (copies.length === 0) return;
    const js = this.client();
    if (!this.deadDeclared) {
      await declareDeadStream(this.manager(), this.prefix);
      this.deadDeclared = true;
      this.everDeclaredStreams.add(deadStreamName(this.prefix));
    }
    const acks = copies.map((copy) => {
      const hdrs = headers();
      hdrs.set('Sluice-Job-Id', copy.id);
      hdrs.set('Sluice-Queue', copy.queue);
      hdrs.set('Sluice-Type', copy.type);
      hdrs.set('Sluice-Error-Code', copy.errorCode);
      hdrs.set('Sluice-Event', 'sluice.job.failed');
      return this.track(
        js.publish(deadSubject(this.prefix, copy.queue), new TextEncoder().encode(JSON.stringify(copy.body)), {
          headers: hdrs,
          // One copy per end of a job, should a publish be retried.
          msgID: `${copy.id}:${copy.finishedAt}`,
        }),
      );
    });
    await Promise.all(acks);
  }

  async depth(queue: string): Promise<QueueDepth> {
    const info = await this.manager()
      .consumers.info(workStreamName(this.prefix, queue), WORK_CONSUMER)
      .catch((error: unknown) => {
        this.forget(queue);
        throw error;
      });
    // JetStream knows the unacked deliveries exactly (every handle's windows, and delayed messages
    // waiting as nak'd deliveries), not how many handles pull: the relay's allowance for what
    // consumers hold is consumers × prefetch, so this says as many consumers as cover them.
    return { ready: info.num_pending, consumers: Math.ceil(info.num_ack_pending / Math.max(1, this.prefetch)) };
  }

  async setPrefetch(limit: number): Promise<void> {
    if (limit <= this.prefetch) return;
    this.prefetch = limit;
    for (const loop of this.loops.values()) loop.poke();
  }

  async consume(queue: string, onDelivery: (delivery: NatsDelivery) => void): Promise<void> {
    if (this.loops.get(queue)?.active) return;
    const epoch = this.epoch;
    const consumer = await this.consumerOf(queue);
    if (this.loops.get(queue)?.active || epoch !== this.epoch || this.closing) return;
    const loop: PullLoop = new PullLoop(
      consumer,
      () => this.prefetch,
      (msg) => this.onMessage(loop, msg, onDelivery),
      this.options.warn,
      () => {
        this.forget(queue);
        return this.consumerOf(queue);
      },
      this.options.fetchExpiresMs,
    );
    this.loops.set(queue, loop);
  }

  async stopConsuming(queue: string): Promise<void> {
    const loop = this.loops.get(queue);
    if (!loop) return;
    this.loops.delete(queue);
    await loop.stop();
  }

  ack(deliveries: readonly NatsDelivery[]): void {
    for (const d of deliveries) this.settle(d, (msg) => msg.ack());
  }

  nack(deliveries: readonly NatsDelivery[]): void {
    for (const d of deliveries) this.settle(d, (msg) => msg.nak());
  }

  /** Every stream this handle declared: tests delete them to leave the server as they found it. */
  declaredStreams(): string[] {
    return [...this.everDeclaredStreams];
  }

  // ---- internals --------------------------------------------------------------------------------

  /** A delivery from a pull: held back again when early, otherwise handed to the transport. */
  private onMessage(loop: PullLoop, msg: JsMsg, onDelivery: (delivery: NatsDelivery) => void): boolean {
    const message = decodeMessage(msg.data);
    if (message === undefined) {
      safely(() => msg.ack()); // not ours: dropped
      return false;
    }
    const notBefore = Number(msg.headers?.get(NOT_BEFORE_HEADER) ?? 0);
    const early = notBefore - Date.now();
    if (early > DUE_SLACK_MS) {
      // The server keeps it and delivers it again when due (no scheduled messages in 2.9).
      safely(() => msg.nak(early));
      return false;
    }
    if (!loop.active) {
      safely(() => msg.nak()); // consuming stopped while it was on its way
      return false;
    }
    const delivery: NatsDelivery = { message, msg, loop };
    this.open.add(delivery);
    onDelivery(delivery);
    return true;
  }

  private settle(delivery: NatsDelivery, how: (msg: JsMsg) => void): void {
    if (!this.open.delete(delivery)) return;
    // An ack is a plain publish to the message's reply subject: it works on a reconnected
    // connection too (the client buffers it while reconnecting).
    safely(() => how(delivery.msg));
    delivery.loop.settled();
  }

  /** The queue's stream or consumer may be gone: the next use declares them again. */
  private forget(queue: string): void {
    this.declared.delete(queue);
    this.consumers.delete(queue);
  }

  private async consumerOf(queue: string): Promise<Consumer> {
    const known = this.consumers.get(queue);
    if (known) return known;
    await this.declareQueue(queue);
    const consumer = await this.client().consumers.get(workStreamName(this.prefix, queue), WORK_CONSUMER);
    this.consumers.set(queue, consumer);
    return consumer;
  }

  /** Follows the client's connection state: it reconnects by itself, this tells the transport. */
  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (this.closing) return;
      if (status.type === 'disconnect') this.wentDown();
      else if (status.type === 'reconnect') {
        this.epochUp = this.epoch;
        this.backoff.reset();
        await this.cameUp();
      } else if (status.type === 'error') this.options.warn(`NATS connection error: ${status.error.message}`);
    }
  }

  private wentDown(): void {
    this.epoch += 1;
    this.up = false;
    this.options.warn('NATS connection lost; reconnecting');
    // Pulls end with the connection; the transport forgets what it held and consumes again when
    // the connection is back (BrokerEvents). What it held is nak'd then (`cameUp`).
    for (const loop of this.loops.values()) void loop.stop();
    this.loops.clear();
    this.consumers.clear();
    this.orphans.push(...this.open);
    this.open.clear();
    this.events?.disconnected();
  }

  /**
   * The connection is up: held deliveries go back, then the transport's handler runs with
   * `connected` already true (it consumes through this broker). On the first connection a failing
   * handler fails `connect`; after a reconnect it is retried with backoff on the same connection.
   */
  private async cameUp(first = false): Promise<void> {
    this.declared.clear();
    this.deadDeclared = false;
    const orphans = this.orphans;
    this.orphans = [];
    this.nak(orphans);
    this.up = true;
    while (!this.closing) {
      try {
        await this.events?.connected();
        break;
      } catch (error) {
        if (first) {
          this.up = false;
          throw error;
        }
        this.options.warn(`NATS reconnect failed, retrying: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, this.backoff.next()).unref());
      }
    }
    if (this.closing) return;
    for (const resolve of this.upWaiters) resolve();
    this.upWaiters.clear();
  }

  private nak(deliveries: readonly NatsDelivery[]): void {
    for (const d of deliveries) {
      this.open.delete(d);
      safely(() => d.msg.nak());
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    const forget = () => this.pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  private client(): JetStreamClient {
    if (!this.js || this.closing) throw new Error('NATS connection is closed');
    return this.js;
  }

  private manager(): JetStreamManager {
    if (!this.jsm || this.closing) throw new Error('NATS connection is closed');
    return this.jsm;
  }
}

/** Acks and naks on a closed connection throw; the server redelivers those at the ack deadline. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Nothing to do: see above.
  }
}
