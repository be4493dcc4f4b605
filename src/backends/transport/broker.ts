/**
 * The broker a transport drives (see transport-backend.ts): the part of a "transport over a store"
 * that differs from one message broker to another (RabbitMQ in backends/rabbitmq/amqp-broker.ts,
 * NATS JetStream next). The job records, leases and fencing are the store's; the broker only
 * carries job ids as wake-ups, so every method here may lose or duplicate a message without losing
 * a job: the transport's outbox relay republishes what is missing, and the store's fenced
 * `claimIds` absorbs duplicates. Nothing here may throw out of a callback or crash the process on
 * a broker outage: failures are reported to `warn` (the broker's own option) or by a rejection.
 *
 * One broker object is one handle: it holds (at most) one connection at a time, reconnects by
 * itself after a loss, and all its consumers share one prefetch window.
 */

/** The body of a job's message: its id and what a consumer needs to route it without a store read. */
export interface JobMessage {
  id: string;
  queue: string;
  type: string;
  /** Sluice priority (−1000..1000); the broker maps it onto its own levels, if it has any. */
  priority: number;
  /** When the job is due (the store's clock, ms); a delivery that arrives earlier waits again. */
  runAt: number;
}

/** One delivered message. Brokers extend it with what they need to settle it (tags, channels). */
export interface BrokerDelivery {
  readonly message: JobMessage;
}

/** One job to publish. */
export interface OutgoingJob {
  message: JobMessage;
  /** Hold the message back this long before it can be delivered (0: deliver now). The broker may
   * deliver it somewhat early (the transport makes an early delivery wait again) but never
   * loses the delay of a message it confirmed. */
  delayMs: number;
}

/** A failed job's copy for broker-side tooling (informational: the store stays the truth). */
export interface DeadLetterCopy {
  id: string;
  queue: string;
  type: string;
  /** The job as the API shows it (toJobJson); the broker sends it as the JSON body. */
  body: unknown;
  /** The job's error code ('' when none). */
  errorCode: string;
  /** When the job ended (ms since the epoch). */
  finishedAt: number;
}

/** What a queue looks like on the broker, for the outbox relay. */
export interface QueueDepth {
  /** Messages ready for delivery, not counting those held unacked in consumers' windows. */
  ready: number;
  /** Consumers attached to the queue (every handle's, not only this one's). */
  consumers: number;
}

/** What the broker tells the transport about its connection. */
export interface BrokerEvents {
  /**
   * A connection is up (the first one, or again after a loss). The transport re-consumes its
   * queues here, so `connected` is already true while it runs; the broker awaits it as part of
   * the connection attempt, and a rejection counts as a failed attempt (that connection is closed
   * and tried again with backoff; on the first connect, `connect` rejects).
   */
  connected(): Promise<void>;
  /**
   * The connection was lost (never called for `close()`). Every delivery not yet acked is void:
   * the broker gives it to a consumer again, so the transport forgets its copies; consumers are
   * gone too and come back through `connected`. Must not throw.
   */
  disconnected(): void;
}

export interface Broker<D extends BrokerDelivery = BrokerDelivery> {
  /** Adapter name for messages (`RabbitMQ`). */
  readonly name: string;
  /** A connection is up now (false while reconnecting, and after close). */
  readonly connected: boolean;

  /**
   * Opens the first connection, failing fast (a rejection) when the broker is unreachable; from
   * then on the broker reconnects by itself with backoff after every loss, until `close`, calling
   * `events.connected` / `events.disconnected` around each. Called once.
   */
  connect(events: BrokerEvents): Promise<void>;
  /** Resolves once a connection is up (at once when one is; after close, at once too). */
  whenConnected(): Promise<void>;
  /** Closes the connection for good. Every unacked delivery goes back to the broker. Idempotent. */
  close(): Promise<void>;

  /**
   * Declares the topology one Sluice queue needs (durable; on RabbitMQ the work queue). The
   * transport calls it before it publishes to, consumes or measures a queue, every time: the
   * broker remembers what it declared on the current connection, so a repeat costs nothing.
   */
  declareQueue(queue: string): Promise<void>;
  /**
   * Sends one persistent message per job (its priority and delay as said), in order. Resolves once
   * every message is handed to the connection; each message's `onConfirm` is then called exactly
   * once: without an error when the broker confirmed it durable, with one when the broker refused
   * or lost it (the connection closed first included). A send that throws rejects the call; the
   * messages before it keep their callbacks, that one and those after it get none.
   */
  send(jobs: readonly OutgoingJob[], onConfirm: (error?: Error) => void): Promise<void>;
  /** Resolves once every message sent on this connection so far is confirmed; rejects when one
   * was refused or lost, or there is no connection. */
  waitForConfirms(): Promise<void>;
  /** Publishes dead-letter copies (durably, with confirms) and resolves once the broker confirmed
   * them; rejects on a refusal or without a connection. */
  publishDead(copies: readonly DeadLetterCopy[]): Promise<void>;
  /** The queue's ready messages and consumers (declaring it first is the transport's job). */
  depth(queue: string): Promise<QueueDepth>;

  /**
   * The most deliveries this handle holds unacked across all its consumers (the transport only
   * ever raises it). Applied to the current connection at once and to every later one.
   */
  setPrefetch(limit: number): Promise<void>;
  /**
   * Starts consuming the queue with manual acks, unless this connection consumes it already.
   * Each delivery goes to `onDelivery`, which must not throw; a message that is not a Sluice job
   * message is acked and dropped by the broker, never delivered. Consumers end with the
   * connection (see BrokerEvents.disconnected).
   */
  consume(queue: string, onDelivery: (delivery: D) => void): Promise<void>;
  /** Stops consuming the queue (no-op when not consuming). Deliveries already handed over stay
   * the transport's to ack or nack. */
  stopConsuming(queue: string): Promise<void>;
  /**
   * Settles deliveries whose jobs the store has leased (or that are dropped): the broker forgets
   * them. It may settle many with one frame (AMQP's cumulative ack) but never one not listed.
   * A delivery of a connection since lost is ignored (the broker redelivers it). Never throws.
   */
  ack(deliveries: readonly D[]): void;
  /** Gives deliveries back, to be delivered again here or to another consumer. Never throws. */
  nack(deliveries: readonly D[]): void;
}
