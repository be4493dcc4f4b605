import { Agent } from 'node:http';
import { QueueEvents } from 'bullmq';
import { httpJson } from '../lib/http-json.js';
import { offerAtRate } from '../lib/pace.js';
import { STAMP_TYPE, type StampOutput, startPushServer } from '../lib/push-server.js';
import type { Measurement } from '../lib/runner.js';
import { type SluiceStoreKind, sluiceStorage } from '../lib/sluice-storage.js';
import { Child } from '../lib/spawn-child.js';
import { followFeed, type OnStamp, receiveWebhooks, type StampReceiver } from '../lib/stamp-receivers.js';
import { percentile } from '../lib/stats.js';
import { lookAhead } from '../lib/target.js';
import { epochNow, now, sleep, untilCount } from '../lib/time.js';
import { BullmqTarget, bullmqConnection, QUEUE } from '../peers/bullmq.js';

export interface PushLatencyOptions {
  /** Jobs offered per second, open loop. */
  rate: number;
  seconds: number;
  /** Jobs run and notified before the measured ones (connections, JIT, the receiver's first read). */
  warmup: number;
  /** Bound on waiting for the last notification. */
  timeoutMs: number;
}

export type PushReceiverKind = 'sse' | 'webhook';

/** The worker's concurrency on both sides (look-ahead as everywhere in the bench). */
const CONCURRENCY = 50;

/** Pause between two warm-up jobs. */
const WARMUP_GAP_MS = 5;

/** Collects the latencies of the measured jobs and counts the warm-up ones. */
class StampSamples {
  readonly latencies: number[] = [];
  warm = 0;
  readonly onStamp: OnStamp = (output, receivedAt) => {
    if (output.warm) this.warm += 1;
    else this.latencies.push(receivedAt - output.doneAt);
  };

  measurements(): Measurement[] {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return [
      { metric: 'completion→notification p50', unit: 'ms', better: 'lower', value: percentile(sorted, 50) },
      { metric: 'completion→notification p99', unit: 'ms', better: 'lower', value: percentile(sorted, 99) },
    ];
  }
}

/** Runs the warm-up, then the measured load, and waits for every notification. */
async function drive(
  samples: StampSamples,
  submit: (input: { i: number; warm?: boolean }) => Promise<unknown>,
  options: PushLatencyOptions,
  what: string,
): Promise<void> {
  // Until `warmup` have been notified, not just sent: a receiver that begins to read a moment after
  // it says it is ready (QueueEvents reads from "now" at its first XREAD) misses only warm-up jobs.
  // At most `warmup` are waiting at a time, so that few are still in flight when the load starts.
  const deadline = now() + options.timeoutMs;
  for (let sent = 0; samples.warm < options.warmup; ) {
    if (now() > deadline) throw new Error(`${what} warm-up: ${samples.warm}/${options.warmup} notified`);
    if (sent - samples.warm < options.warmup) await submit({ i: sent++, warm: true });
    await sleep(WARMUP_GAP_MS);
  }
  const total = Math.round(options.rate * options.seconds);
  await offerAtRate(options.rate, total, (i) => submit({ i }));
  await untilCount(() => samples.latencies.length, total, options.timeoutMs, what);
}

/**
 * Issue 18, Sluice side: a server process (API, event hub, embedded worker, webhook delivery:
 * bench/child/push-server.ts) on fresh storage; jobs go in through `POST /v1/jobs` at `rate` per
 * second; the receiver in this process is the feed's SSE stream or a webhook endpoint. Latency =
 * when the receiver has the job's `job.succeeded` minus when its handler finished (the handler
 * stamps its output; both clocks are the machine's, epochNow).
 */
export async function sluicePushLatency(
  kind: SluiceStoreKind,
  receiverKind: PushReceiverKind,
  options: PushLatencyOptions,
): Promise<Measurement[]> {
  const storage = sluiceStorage(kind);
  const samples = new StampSamples();
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  let receiver: StampReceiver | undefined;
  try {
    const server = await startPushServer({
      backend: storage.url,
      queue: QUEUE,
      concurrency: CONCURRENCY,
      prefetch: lookAhead(CONCURRENCY),
    });
    try {
      receiver =
        receiverKind === 'sse'
          ? await followFeed(server.url, QUEUE, samples.onStamp)
          : await receiveWebhooks(server.url, QUEUE, samples.onStamp);
      const submit = (input: object) =>
        httpJson(agent, 'POST', `${server.url}/v1/jobs`, { type: STAMP_TYPE, queue: QUEUE, input });
      await drive(samples, submit, options, `sluice-${kind} ${receiverKind}`);
      if (receiver.errors > 0) throw new Error(`${receiverKind} receiver: ${receiver.errors} reconnects or stray deliveries`);
    } finally {
      await receiver?.close();
      await server.stop();
    }
  } finally {
    agent.destroy();
    await storage.remove();
  }
  return samples.measurements();
}

/**
 * The peer: BullMQ on the same Redis at its best settings (bench/peers/bullmq.ts), its worker in a
 * process of its own (bench/child/bullmq-stamp-worker.ts), `queue.add` per job (removeOnComplete) at `rate` per
 * second, and a `QueueEvents` here whose 'completed' event carries the handler's stamp.
 */
export async function bullmqCompletedLatency(options: PushLatencyOptions): Promise<Measurement[]> {
  const target = new BullmqTarget();
  const samples = new StampSamples();
  await target.setup();
  let events: QueueEvents | undefined;
  let worker: Child | undefined;
  try {
    events = new QueueEvents(QUEUE, { connection: bullmqConnection(), prefix: target.address });
    events.on('completed', ({ returnvalue }) => {
      const receivedAt = epochNow();
      // Deserialized from JSON by BullMQ 6; an older event format carries the JSON text.
      const output = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as StampOutput;
      samples.onStamp(output, receivedAt);
    });
    events.on('error', () => {});
    await events.waitUntilReady();
    worker = new Child('bullmq-stamp-worker.ts', { prefix: target.address, concurrency: CONCURRENCY });
    await worker.next('ready', 30_000);
    await drive(samples, (input) => target.enqueueOne(input), options, 'bullmq QueueEvents');
  } finally {
    await worker?.dispose();
    await events?.close();
    await target.teardown();
  }
  return samples.measurements();
}
