import type pg from 'pg';
import { coalesce, decodeMessage, encodeMessages, type WireEvent, type WireMessage } from './notify-payload.js';

/** Reconnect backoff of the LISTEN connection. */
const RECONNECT_INITIAL_MS = 100;
const RECONNECT_MAX_MS = 5_000;
/**
 * How often the LISTEN connection is checked with a query of its own. A connection cut off by a
 * stalled or dropping network raises no error (it only waits), so without the check notifications
 * would stop for good; the query's timeout (query_timeout) makes a dead one fail, and it is replaced.
 */
const DEFAULT_PROBE_INTERVAL_MS = 10_000;

export interface NotifierOptions {
  /** The NOTIFY channel (one per schema). */
  channel: string;
  /** This backend handle's origin tag; its own messages are not delivered back to it. */
  origin: string;
  /** Sends NOTIFYs (the pool). */
  pool: pg.Pool;
  /** Opens the dedicated LISTEN connection (not from the pool: it is held for good). */
  connect: () => pg.Client;
  /** Called for every message from another handle, and for this handle's own "to all" messages
   * (`own` true: the change was made here, so it is not remote). */
  onMessage: (message: WireMessage, own: boolean) => void;
  /** Time between liveness checks of the LISTEN connection. Default 10 s. */
  probeIntervalMs?: number;
}

/**
 * LISTEN/NOTIFY for one backend handle: relays this process's events to every other process on
 * the same schema, and theirs to it.
 *
 * - Publishing is batched: events buffer until the next macrotask and go out in one statement;
 *   while a send is in flight the next batch waits, so a busy process sends at most one NOTIFY
 *   statement at a time. A send that fails is dropped: NOTIFY only wakes and informs, and workers
 *   keep a slow poll as a safety net.
 * - Listening uses one dedicated connection that reconnects with backoff (100 ms doubling to 5 s)
 *   after a server restart or a terminated connection. Notifications sent while it was down are
 *   lost, which the workers' poll covers.
 */
export class Notifier {
  private readonly options: NotifierOptions;
  private buffer: WireEvent[] = [];
  private sending: Promise<void> | undefined;
  private scheduled = false;
  private client: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  constructor(options: NotifierOptions) {
    this.options = options;
  }

  /** Connects and LISTENs; resolves once notifications flow (open waits for it, so that a handle
   * never misses events announced after it was opened). */
  async start(): Promise<void> {
    await this.listen();
  }

  /** Queues events for the other processes (sent on the next macrotask, in one statement). */
  publish(events: WireEvent[]): void {
    if (this.closed || events.length === 0) return;
    this.buffer.push(...events);
    if (this.scheduled || this.sending) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /**
   * Sends events on the caller's own connection, inside its open transaction: PostgreSQL delivers
   * them only if it commits. The origin is marked "to all" (`*` + origin), so this process's own
   * listeners hear them too (its local events wait for the commit like everyone else's) and know
   * the change was their own.
   */
  async publishWithin(client: Pick<pg.ClientBase, 'query'>, events: WireEvent[]): Promise<void> {
    const messages = encodeMessages(`*${this.options.origin}`, coalesce(events));
    if (messages.length === 0) return;
    await client.query('SELECT pg_notify($1, m) FROM unnest($2::text[]) AS m', [this.options.channel, messages]);
  }

  /** Stops listening and waits for a NOTIFY in flight; unsent events are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.probeTimer);
    this.buffer = [];
    await this.sending;
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private flush(): void {
    if (this.closed || this.buffer.length === 0) return;
    const messages = encodeMessages(this.options.origin, coalesce(this.buffer));
    this.buffer = [];
    this.sending = this.options.pool
      .query('SELECT pg_notify($1, m) FROM unnest($2::text[]) AS m', [this.options.channel, messages])
      .then(
        () => undefined,
        () => undefined, // see the class comment: a lost NOTIFY costs latency, not jobs
      )
      .finally(() => {
        this.sending = undefined;
        if (this.buffer.length > 0) this.flush();
      });
  }

  private async listen(): Promise<void> {
    const client = this.options.connect();
    this.client = client;
    client.on('notification', (notification) => {
      const message = decodeMessage(notification.payload);
      if (message && message.o !== this.options.origin) this.options.onMessage(message, message.o === `*${this.options.origin}`);
    });
    // Both fire on a broken connection; `error` must be handled or the process crashes.
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.options.channel}"`);
      this.failures = 0;
      this.startProbe(client);
    } catch (error) {
      this.lost(client);
      throw error;
    }
  }

  private startProbe(client: pg.Client): void {
    clearInterval(this.probeTimer);
    this.probeTimer = setInterval(() => {
      if (this.client !== client) return;
      client.query('SELECT 1').catch(() => this.lost(client));
    }, this.options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return; // already replaced
    this.client = undefined;
    clearInterval(this.probeTimer);
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.failures += 1;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_INITIAL_MS * 2 ** Math.min(this.failures - 1, 10));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed) this.listen().catch(() => undefined);
    }, delay);
    this.reconnectTimer.unref();
  }
}
