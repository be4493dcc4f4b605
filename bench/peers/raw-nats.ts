import {
  AckPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NATS_URL, uniqueName } from '../lib/services.js';
import type { BenchJob, QueueTarget, WorkerHooks } from '../lib/target.js';

/** Publishes in flight at once for bulk: the client's async publish, awaited a window at a time. */
const PUBLISH_WINDOW = 1000;
const CONSUMER = 'bench';

/**
 * The NATS JetStream ceiling, at the client's documented best: a file-stored work-queue stream,
 * one publish awaited per job one by one (its PubAck is the durability answer) and async publishes
 * awaited in windows of 1000 for bulk; the worker pulls from a durable pull consumer with
 * `consume()` (batched pulls refilled ahead, max_messages = concurrency + prefetch) and acks each
 * message. Its own stream per run, deleted on teardown.
 */
export class RawNatsTarget implements QueueTarget {
  readonly name = 'raw-nats';
  private readonly stream: string;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;

  /** `existing`: a stream another target created; teardown leaves it. */
  constructor(private readonly existing?: string) {
    this.stream = existing ?? uniqueName('bench-nats');
  }

  get address(): string {
    return this.stream;
  }

  private get subject(): string {
    return `${this.stream}.jobs`;
  }

  async setup(): Promise<void> {
    this.nc = await connect({ servers: NATS_URL });
    this.jsm = await jetstreamManager(this.nc);
    this.js = jetstream(this.nc);
    if (!this.existing) {
      await this.jsm.streams.add({
        name: this.stream,
        subjects: [this.subject],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
      });
      await this.jsm.consumers.add(this.stream, {
        durable_name: CONSUMER,
        ack_policy: AckPolicy.Explicit,
        max_ack_pending: -1,
      });
    }
  }

  async enqueueOne(input: object): Promise<void> {
    await this.js!.publish(this.subject, JSON.stringify(input));
  }

  async enqueueBulk(inputs: object[]): Promise<void> {
    for (let i = 0; i < inputs.length; i += PUBLISH_WINDOW) {
      await Promise.all(
        inputs.slice(i, i + PUBLISH_WINDOW).map((input) => this.js!.publish(this.subject, JSON.stringify(input))),
      );
    }
  }

  async startWorker(hooks: WorkerHooks): Promise<{ stop: () => Promise<void> }> {
    const consumer = await this.js!.consumers.get(this.stream, CONSUMER);
    const messages: ConsumerMessages = await consumer.consume({
      max_messages: hooks.concurrency + hooks.prefetch,
      callback: (msg) => {
        const job = msg.json<BenchJob>();
        void Promise.resolve()
          .then(() => hooks.onStart?.(job))
          .then(() => {
            msg.ack();
            hooks.onDone();
          });
      },
    });
    return {
      stop: async () => {
        await messages.close();
      },
    };
  }

  async teardown(): Promise<void> {
    try {
      if (this.jsm && !this.existing) await this.jsm.streams.delete(this.stream).catch(() => false);
      await this.nc?.close();
    } finally {
      this.nc = undefined;
      this.js = undefined;
      this.jsm = undefined;
    }
  }
}
