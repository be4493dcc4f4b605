import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamManager,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { deadStreamName, deadSubjects, WORK_CONSUMER, workStreamName, workSubject } from './names.js';

/**
 * A delivery no handle settles within this long is delivered again (to any handle). Deliveries
 * are settled as soon as the store leased their job, so this only fires for a frozen process's
 * window or a message in flight to a pull that had just closed.
 */
export const ACK_WAIT_MS = 10_000;

/**
 * Declares one Sluice queue's work stream (file storage, work-queue retention: a message lives
 * until it is acked) and its durable pull consumer. Both calls are idempotent on the server, so
 * handles declaring at once agree; a stream or consumer an operator reconfigured (other limits,
 * replicas) is kept as it is.
 */
export async function declareWorkQueue(jsm: JetStreamManager, prefix: string, queue: string): Promise<void> {
  const stream = workStreamName(prefix, queue);
  await keepExisting(
    () =>
      jsm.streams.add({
        name: stream,
        subjects: [workSubject(prefix, queue)],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        max_msgs: -1,
        max_bytes: -1,
        max_age: 0,
        num_replicas: 1,
      }),
    () => jsm.streams.info(stream),
  );
  await keepExisting(
    () =>
      jsm.consumers.add(stream, {
        durable_name: WORK_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        replay_policy: ReplayPolicy.Instant,
        filter_subject: workSubject(prefix, queue),
        ack_wait: nanos(ACK_WAIT_MS),
        // Redelivered until acked: the store decides when a job ends, never a delivery count.
        max_deliver: -1,
        // Delayed messages wait as unacked deliveries (a nak with a delay): no cap on them, or a
        // backlog of retries would stop the delivery of due jobs.
        max_ack_pending: -1,
      }),
    () => jsm.consumers.info(stream, WORK_CONSUMER),
  );
}

/** Declares the dead stream of a prefix: limits retention, kept until an operator purges it. */
export async function declareDeadStream(jsm: JetStreamManager, prefix: string): Promise<void> {
  const stream = deadStreamName(prefix);
  await keepExisting(
    () =>
      jsm.streams.add({
        name: stream,
        subjects: [deadSubjects(prefix)],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        num_replicas: 1,
      }),
    () => jsm.streams.info(stream),
  );
}

/** Runs `add`; when the server refuses it because the resource exists with another configuration,
 * `info` confirms it exists and that is kept. */
async function keepExisting(add: () => Promise<unknown>, info: () => Promise<unknown>): Promise<void> {
  try {
    await add();
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
    await info().catch(() => {
      throw error;
    });
  }
}
