import { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, connect } from 'amqplib';
import { groupBy } from '../../core/group-by.js';
import type {
  Broker,
  BrokerDelivery,
  BrokerEvents,
  DeadLetterCopy,
  JobMessage,
  OutgoingJob,
  QueueDepth,
} from '../transport/broker.js';
import { decodeMessage, encodeMessage } from '../transport/job-message.js';
import { SOCKET_OPTIONS, withHeartbeat } from './connect-options.js';
import { OpenDeliveries } from './open-deliveries.js';
import {
  amqpPriority,
  deadLetterExchangeName,
  deadQueueName,
  delayBucketMs,
  MAX_AMQP_PRIORITY,
  waitQueueName,
  workQueueName,
} from './topology.js';

/** A delivery and the channel it came on: an ack must go back on it, and a replaced channel makes it moot. */
export interface AmqpDelivery extends BrokerDelivery {
  readonly message: JobMessage;
  readonly raw: ConsumeMessage;
  readonly channel: Channel;
}

/** An open connection and its two channels: confirms for publishing, plain for consuming. */
export interface Link {
  model: ChannelModel;
  pub: ConfirmChannel;
  sub: Channel;
}

interface Consumer {
  tag: string;
  channel: Channel;
}

export interface AmqpBrokerOptions {
  /** `amqp://user:pass@host:5672/vhost`. */
  url: string;
  /** Prefix of every queue name. */
  prefix: string;
  /** The consumer prefetch until `setPrefetch` raises it. */
  prefetch: number;
  warn: (message: string) => void;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * The Broker of the transport on RabbitMQ (amqplib): one connection with a confirm channel for
 * publishing and a plain one for consuming, re-established with backoff after a loss. Topology:
 * topology.ts (durable classic work queues with priorities, per-delay wait queues that
 * dead-letter back into the work queue, the dead-letter exchange and its per-queue dead queues).
 */
export class AmqpBroker implements Broker<AmqpDelivery> {
  readonly name = 'RabbitMQ';
  /** The current connection (tests reach its channels). */
  link: Link | undefined;

  private readonly url: string;
  private readonly prefix: string;
  private readonly warn: (message: string) => void;
  private prefetch: number;
  private events: BrokerEvents | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = RECONNECT_MIN_MS;
  private closed = false;
  /** Queues and exchanges declared on the current connection. */
  private readonly declared = new Set<string>();
  /** Every queue name this handle declared (for tests that delete their topology). */
  private readonly everDeclared = new Set<string>();
  private readonly everDeclaredExchanges = new Set<string>();
  private readonly consumers = new Map<string, Consumer>();
  /** Per channel, the deliveries handed over and not yet settled (cumulative acks need them). */
  private readonly open = new Map<Channel, OpenDeliveries>();

  constructor(options: AmqpBrokerOptions) {
    this.url = options.url;
    this.prefix = options.prefix;
    this.warn = options.warn;
    this.prefetch = options.prefetch;
  }

  get connected(): boolean {
    return this.link !== undefined;
  }

  async connect(events: BrokerEvents): Promise<void> {
    this.events = events;
    await this.connectOnce();
  }

  async whenConnected(): Promise<void> {
    while (!this.closed && this.link === undefined) {
      if (!this.connecting) this.scheduleReconnect(0);
      await (this.connecting ?? new Promise<void>((resolve) => setTimeout(resolve, RECONNECT_MIN_MS)));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const link = this.link;
    this.link = undefined;
    // Closing the channels hands every unacked delivery back to the broker.
    if (link) await link.model.close().catch(() => undefined);
  }

  /** Closes the current connection as if the broker dropped it (tests); the broker reconnects. */
  async dropConnection(): Promise<void> {
    await this.link?.model.close().catch(() => undefined);
  }

  /** Every queue name this handle declared: tests delete them to leave the broker as they found it. */
  declaredQueues(): string[] {
    return [...this.everDeclared];
  }

  /** Every exchange name this handle declared (the dead-letter exchange), for the same purpose. */
  declaredExchanges(): string[] {
    return [...this.everDeclaredExchanges];
  }

  // ---- topology and publishing -----------------------------------------------------------------

  async declareQueue(queue: string): Promise<void> {
    const link = this.requireLink();
    const name = workQueueName(this.prefix, queue);
    if (this.declared.has(name)) return;
    await link.pub.assertQueue(name, {
      durable: true,
      arguments: { 'x-queue-type': 'classic', 'x-max-priority': MAX_AMQP_PRIORITY },
    });
    this.declared.add(name);
    this.everDeclared.add(name);
  }

  async send(jobs: readonly OutgoingJob[], onConfirm: (error?: Error) => void): Promise<void> {
    const link = this.requireLink();
    // amqplib calls each message's callback on ack, nack and channel close. waitForConfirms is not
    // used for a background failure, as every call of it wraps the callback of every publish
    // still unconfirmed.
    const confirmed = (error: unknown) => onConfirm(error ? (error as Error) : undefined);
    for (const { message, delayMs } of jobs) {
      let target = workQueueName(this.prefix, message.queue);
      if (delayMs > 0) {
        const bucket = delayBucketMs(delayMs);
        target = waitQueueName(this.prefix, message.queue, bucket);
        await this.declareWait(link, message.queue, bucket);
      }
      link.pub.sendToQueue(
        target,
        encodeMessage(message),
        { persistent: true, priority: amqpPriority(message.priority), messageId: message.id, contentType: 'application/json' },
        confirmed,
      );
    }
  }

  async waitForConfirms(): Promise<void> {
    await this.requireLink().pub.waitForConfirms();
  }

  async publishDead(copies: readonly DeadLetterCopy[]): Promise<void> {
    const link = this.requireLink();
    for (const copy of copies) {
      await this.declareDead(link, copy.queue);
      link.pub.publish(deadLetterExchangeName(this.prefix), copy.queue, Buffer.from(JSON.stringify(copy.body)), {
        persistent: true,
        messageId: copy.id,
        type: 'sluice.job.failed',
        contentType: 'application/json',
        timestamp: Math.floor(copy.finishedAt / 1000),
        headers: { 'x-sluice-queue': copy.queue, 'x-sluice-type': copy.type, 'x-sluice-error-code': copy.errorCode },
      });
    }
    await link.pub.waitForConfirms();
  }

  async depth(queue: string): Promise<QueueDepth> {
    const { messageCount, consumerCount } = await this.requireLink().pub.checkQueue(workQueueName(this.prefix, queue));
    return { ready: messageCount, consumers: consumerCount };
  }

  // ---- consuming -------------------------------------------------------------------------------

  async setPrefetch(limit: number): Promise<void> {
    this.prefetch = limit;
    await this.link?.sub.prefetch(limit, true);
  }

  async consume(queue: string, onDelivery: (delivery: AmqpDelivery) => void): Promise<void> {
    const link = this.requireLink();
    if (this.consumers.has(queue)) return;
    const channel = link.sub;
    const { consumerTag } = await channel.consume(
      workQueueName(this.prefix, queue),
      (raw) => this.onMessage(channel, raw, onDelivery),
      { noAck: false },
    );
    if (this.link !== link) return;
    this.consumers.set(queue, { tag: consumerTag, channel });
  }

  async stopConsuming(queue: string): Promise<void> {
    const consumer = this.consumers.get(queue);
    if (!consumer) return;
    this.consumers.delete(queue);
    await consumer.channel.cancel(consumer.tag).catch(() => undefined);
  }

  /** Acks leased deliveries: one cumulative ack per channel where that settles exactly them. */
  ack(deliveries: readonly AmqpDelivery[]): void {
    for (const [channel, group] of groupBy(deliveries, (d) => d.channel)) {
      const last = this.openOn(channel).settle(group.map((d) => d.raw.fields.deliveryTag));
      const lastDelivery = group.find((d) => d.raw.fields.deliveryTag === last);
      if (lastDelivery) safely(() => channel.ack(lastDelivery.raw, true));
      else for (const d of group) safely(() => channel.ack(d.raw));
    }
  }

  /** Gives deliveries back to the broker, in place, for a later claim (here or elsewhere). */
  nack(deliveries: readonly AmqpDelivery[]): void {
    for (const [channel, group] of groupBy(deliveries, (d) => d.channel)) {
      this.open.get(channel)?.forget(group.map((d) => d.raw.fields.deliveryTag));
      for (const d of group) safely(() => channel.nack(d.raw, false, true));
    }
  }

  private onMessage(channel: Channel, raw: ConsumeMessage | null, onDelivery: (delivery: AmqpDelivery) => void): void {
    if (raw === null) return; // the broker cancelled the consumer (queue deleted): reconnect re-consumes
    const message = decodeMessage(raw.content);
    if (message === undefined) {
      safely(() => channel.ack(raw));
      return;
    }
    this.openOn(channel).add(raw.fields.deliveryTag);
    onDelivery({ message, raw, channel });
  }

  private openOn(channel: Channel): OpenDeliveries {
    let open = this.open.get(channel);
    if (!open) {
      open = new OpenDeliveries();
      this.open.set(channel, open);
    }
    return open;
  }

  // ---- connection ------------------------------------------------------------------------------

  private requireLink(): Link {
    if (this.link === undefined) throw new Error('RabbitMQ connection is down');
    return this.link;
  }

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
      await this.events?.connected();
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
    // Unacked deliveries of the dead channel return to the broker.
    this.open.delete(link.sub);
    this.events?.disconnected();
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
}

/** Acks and nacks on a channel that has since closed throw; the broker has requeued those already. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Nothing to do: see above.
  }
}
