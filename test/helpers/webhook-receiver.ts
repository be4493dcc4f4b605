import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, and what it answered. */
export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/**
 * A webhook receiver on 127.0.0.1 for tests: `answer` decides each status (by the request and how
 * many requests with its webhook-id came before). It can be stopped and started again on the same
 * port, so a test can make a receiver that is down for a while.
 */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  private server: Server | undefined;
  private waiters: Array<{ check: () => boolean; resolve: () => void }> = [];

  private constructor(
    readonly port: number,
    public answer: (delivery: { headers: IncomingHttpHeaders; body: string; seenBefore: number }) => number,
  ) {}

  /** A receiver on a free port; `listening: false` reserves the port but leaves it closed (down). */
  static async start(
    answer: WebhookReceiver['answer'] = () => 200,
    options: { listening?: boolean } = {},
  ): Promise<WebhookReceiver> {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    await once(probe, 'close');
    const receiver = new WebhookReceiver(port, answer);
    if (options.listening !== false) await receiver.up();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Starts answering on the port. */
  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const id = req.headers['webhook-id'];
        const seenBefore = this.received.filter((r) => r.headers['webhook-id'] === id).length;
        const answered = this.answer({ headers: req.headers, body, seenBefore });
        this.received.push({ headers: req.headers, body, answered });
        res.writeHead(answered).end();
        this.notify();
      });
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
  }

  /** Stops answering (connections are refused). */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }

  /** Resolves once `check` holds over what was received (checked after every request). */
  waitFor(check: (received: readonly ReceivedDelivery[]) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (check(this.received)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; received ${this.received.length}`)),
        timeoutMs,
      );
      this.waiters.push({
        check: () => check(this.received),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** The requests that carried `webhookId`. */
  of(webhookId: string): ReceivedDelivery[] {
    return this.received.filter((r) => r.headers['webhook-id'] === webhookId);
  }

  private notify(): void {
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.check()) return true;
      waiter.resolve();
      return false;
    });
  }
}
