import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';

/** How long one pull request waits on the server for messages before the loop asks again. */
export const FETCH_EXPIRES_MS = 30_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * Consumes one queue's durable pull consumer for one handle, holding at most `window()` deliveries
 * unacked: it asks the server for exactly the room left (a pull request for that many messages,
 * each handed over as it arrives) and asks again once deliveries are settled. A pull consumer
 * that keeps pulling regardless of acks (the client's `consume()`) would draw a backlog into one
 * busy handle, where its deliveries wait behind running jobs until their ack deadline.
 *
 * `onMessage` says whether it kept the message (it then counts against the window until
 * `settled`); it must not throw. After a failed pull, `recover` is asked for the consumer to pull
 * from next (it declares the stream and consumer again: an operator may have deleted them). `stop` ends the loop; the open pull request is closed, so the
 * server hands its remaining messages to other handles' requests.
 */
export class PullLoop {
  private running = true;
  private held = 0;
  private current: ConsumerMessages | undefined;
  private wake: (() => void) | undefined;
  private retryMs = RETRY_MIN_MS;
  readonly done: Promise<void>;

  constructor(
    private consumer: Consumer,
    private readonly window: () => number,
    private readonly onMessage: (msg: JsMsg) => boolean,
    private readonly warn: (message: string) => void,
    private readonly recover: () => Promise<Consumer>,
    private readonly expiresMs = FETCH_EXPIRES_MS,
  ) {
    this.done = this.run();
  }

  get active(): boolean {
    return this.running;
  }

  /** A delivery this loop handed over was acked or nacked: room for one more. */
  settled(): void {
    if (this.held > 0) this.held -= 1;
    this.poke();
  }

  /** The window may have grown (setPrefetch). */
  poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.poke();
    await this.current?.close().catch(() => undefined);
    await this.done;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const room = this.window() - this.held;
      if (room <= 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      try {
        const messages = await this.consumer.fetch({ max_messages: room, expires: this.expiresMs });
        this.current = messages;
        if (!this.running) await messages.close();
        for await (const msg of messages) {
          if (this.onMessage(msg)) this.held += 1;
        }
        this.retryMs = RETRY_MIN_MS;
      } catch (error) {
        if (!this.running) break;
        // A refused or broken pull (the stream deleted, the connection lost): try again later.
        this.warn(`NATS pull failed, retrying: ${(error as Error).message}`);
        // Woken early by stop (and by settlements, which is harmless: it only retries sooner).
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.retryMs);
          timer.unref();
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
        if (this.running) this.consumer = await this.recover().catch(() => this.consumer);
      } finally {
        this.current = undefined;
      }
    }
  }
}
