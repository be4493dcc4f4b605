import type { Backend } from '../../core/backend.js';
import type { Clock } from '../../core/clock.js';
import { ErrorCodes, SluiceError } from '../../core/errors.js';
import { TransportBackend, type TransportOptions } from '../transport/transport-backend.js';
import { type NatsUrl, parseNatsUrl, redactNatsUrl } from './connect-options.js';
import { JetStreamBroker, type NatsDelivery } from './jetstream-broker.js';

/** Options of the NATS JetStream transport (the tuning of backends/transport, plus the broker's). */
export interface NatsBackendOptions extends TransportOptions {
  /** `nats://[user:pass@]host:4222[,host2…][?prefix=NAME]`. */
  url: string;
  /** The job store: the source of truth for job records. Must declare `capabilities.claimById`. */
  store: Backend;
  /** Time source for delays computed here (must agree with the store's clock). Default: system. */
  clock?: Clock | undefined;
  /** Prefix of every stream and subject (overrides the URL's `?prefix=`). Default `sluice`. */
  prefix?: string | undefined;
  /** Close the store on close(). Default true (open-backend hands over a store of its own). */
  ownsStore?: boolean | undefined;
  /** Where connection trouble is reported (never thrown). */
  warn?: ((message: string) => void) | undefined;
}

/** The NATS transport as a Backend, with what tests use to clean up and to wait out a reconnect. */
export interface NatsBackend extends Backend {
  /** Every stream this handle declared (tests delete them). */
  declaredStreams(): string[];
  /** Resolves once the connection is up again (or at once). */
  whenConnected(): Promise<void>;
}

class NatsTransport extends TransportBackend<NatsDelivery> implements NatsBackend {
  declaredStreams(): string[] {
    return (this.broker as JetStreamBroker).declaredStreams();
  }
}

/** Opens the NATS JetStream transport over the given store; fails fast when NATS is unreachable. */
export async function openNatsBackend(options: NatsBackendOptions): Promise<NatsBackend> {
  const warn = options.warn ?? ((message: string) => process.emitWarning(message, { code: 'SLUICE_NATS' }));
  let url: NatsUrl;
  try {
    url = parseNatsUrl(options.url);
  } catch (error) {
    throw new SluiceError(ErrorCodes.config, (error as Error).message, { field: 'SLUICE_BACKEND' });
  }
  const broker = new JetStreamBroker({ url, prefix: options.prefix ?? url.prefix, warn });
  const backend = new NatsTransport(
    { broker, name: 'nats', store: options.store, clock: options.clock, ownsStore: options.ownsStore, warn },
    options,
  );
  try {
    // The broker's window starts at the transport's lowest prefetch (it grows with claim limits).
    await broker.setPrefetch(Math.max(1, options.minPrefetch ?? 1));
    await backend.start();
  } catch (error) {
    await broker.close().catch(() => undefined);
    if (error instanceof SluiceError) throw error;
    throw new SluiceError(
      ErrorCodes.backendUnavailable,
      `NATS JetStream is not reachable at ${redactNatsUrl(options.url)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return backend;
}
