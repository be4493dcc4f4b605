import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { AMQP_URL, uniqueName } from '../lib/services.js';
import type { BenchJob, QueueTarget, WorkerHooks } from '../lib/target.js';

/**
 * The RabbitMQ ceiling: plain amqplib with durable queues, persistent messages, publisher
 * confirms (one wait per message, or per batch of up to 1000 for bulk), prefetch = concurrency and
 * manual acks. Its own queue name per run, deleted on teardown.
 */
export class RawAmqpTarget implements QueueTarget {
  readonly name = 'raw-amqp';
  private readonly queue: string;
  private conn: ChannelModel | undefined;
  private pub: ConfirmChannel | undefined;

  /** `existing`: a queue another target created; teardown leaves it. */
  constructor(private readonly existing?: string) {
    this.queue = existing ?? uniqueName('bench-amqp');
  }

  get address(): string {
    return this.queue;
  }

  async setup(): Promise<void> {
    this.conn = await amqp.connect(AMQP_URL);
    this.conn.on('error', () => {});
    this.pub = await this.conn.createConfirmChannel();
    await this.pub.assertQueue(this.queue, { durable: true });
  }

  async enqueueOne(input: object): Promise<void> {
    this.pub!.sendToQueue(this.queue, Buffer.from(JSON.stringify(input)), { persistent: true, contentType: 'application/json' });
    await this.pub!.waitForConfirms();
  }

  async enqueueBulk(inputs: object[]): Promise<void> {
    for (let i = 0; i < inputs.length; i += 1000) {
      for (const input of inputs.slice(i, i + 1000)) {
        this.pub!.sendToQueue(this.queue, Buffer.from(JSON.stringify(input)), {
          persistent: true,
          contentType: 'application/json',
        });
      }
      await this.pub!.waitForConfirms();
    }
  }

  async startWorker(hooks: WorkerHooks): Promise<{ stop: () => Promise<void> }> {
    const ch = await this.conn!.createChannel();
    // AMQP's prefetch is the look-ahead itself: unacked deliveries held by this consumer.
    await ch.prefetch(hooks.concurrency + hooks.prefetch);
    const { consumerTag } = await ch.consume(
      this.queue,
      (msg) => {
        if (!msg) return;
        const job = JSON.parse(msg.content.toString()) as BenchJob;
        void Promise.resolve()
          .then(() => hooks.onStart?.(job))
          .then(() => {
            ch.ack(msg);
            hooks.onDone();
          });
      },
      { noAck: false },
    );
    return {
      stop: async () => {
        await ch.cancel(consumerTag);
        await ch.close();
      },
    };
  }

  async teardown(): Promise<void> {
    try {
      if (this.pub) {
        if (!this.existing) await this.pub.deleteQueue(this.queue);
        await this.pub.close();
      }
      await this.conn?.close();
    } finally {
      this.pub = undefined;
      this.conn = undefined;
    }
  }
}
