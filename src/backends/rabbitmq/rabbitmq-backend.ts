import type { Backend } from '../../core/backend.js';
import type { Clock } from '../../core/clock.js';
import { ErrorCodes, SluiceError } from '../../core/errors.js';
import { TransportBackend, type TransportOptions } from '../transport/transport-backend.js';
import { AmqpBroker, type AmqpDelivery, type Link } from './amqp-broker.js';

/** Options of the RabbitMQ transport (the tuning of backends/transport, plus the broker's). */
export interface RabbitmqBackendOptions extends TransportOptions {
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
  /** Where connection trouble is reported (never thrown: a broker outage must not crash the process). */
  warn?: ((message: string) => void) | undefined;
}

/**
 * The Backend port on RabbitMQ (delivery) plus a job store (records): the transport of
 * backends/transport (outbox relay, delivery → fenced lease, busy release, dead-letter copies)
 * driving an AmqpBroker (connection, topology, publisher confirms, consumers, acks). See
 * docs/rabbitmq.md.
 */
export class RabbitmqBackend extends TransportBackend<AmqpDelivery> {
  private readonly amqp: AmqpBroker;

  private constructor(options: RabbitmqBackendOptions) {
    const warn = options.warn ?? ((message: string) => process.emitWarning(message, { code: 'SLUICE_RABBITMQ' }));
    const amqp = new AmqpBroker({
      url: options.url,
      prefix: options.prefix ?? 'sluice',
      prefetch: Math.max(1, options.minPrefetch ?? 1),
      warn,
    });
    super(
      { name: 'rabbitmq', broker: amqp, store: options.store, clock: options.clock, ownsStore: options.ownsStore, warn },
      options,
    );
    this.amqp = amqp;
  }

  /** Connects (failing fast when the broker is unreachable at start) and starts the outbox relay. */
  static async open(options: RabbitmqBackendOptions): Promise<RabbitmqBackend> {
    const backend = new RabbitmqBackend(options);
    try {
      await backend.start();
    } catch (error) {
      await backend.amqp.close();
      throw new SluiceError(
        ErrorCodes.backendUnavailable,
        `RabbitMQ is not reachable at ${redact(options.url)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return backend;
  }

  /** Every queue name this handle declared: tests delete them to leave the broker as they found it. */
  declaredQueues(): string[] {
    return this.amqp.declaredQueues();
  }

  /** Every exchange name this handle declared (the dead-letter exchange), for the same purpose. */
  declaredExchanges(): string[] {
    return this.amqp.declaredExchanges();
  }

  /** Closes the current connection as if the broker dropped it (tests); the handle reconnects. */
  async dropConnection(): Promise<void> {
    await this.amqp.dropConnection();
  }

  /** The current connection and its channels (tests watch confirms and acks on them). */
  protected get link(): Link | undefined {
    return this.amqp.link;
  }
}

/** Opens the RabbitMQ transport over the given store. */
export async function openRabbitmqBackend(options: RabbitmqBackendOptions): Promise<Backend> {
  return RabbitmqBackend.open(options);
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}
