import { Agent } from 'node:http';
import { httpJson } from '../lib/http-json.js';
import { offerAtRate } from '../lib/pace.js';
import { STAMP_TYPE, type StampOutput, startPushServer } from '../lib/push-server.js';
import type { Measurement } from '../lib/runner.js';
import { sluiceStorage } from '../lib/sluice-storage.js';
import { readSse, type SseStream } from '../lib/sse-reader.js';
import { percentile } from '../lib/stats.js';
import { lookAhead } from '../lib/target.js';
import { untilCount } from '../lib/time.js';

export interface PushFanoutOptions {
  /** SSE streams open at once on the one server process. */
  subscribers: number;
  /** Jobs whose `job.succeeded` every subscriber must get. */
  jobs: number;
  /** Jobs offered per second. */
  rate: number;
  timeoutMs: number;
}

const QUEUE = 'fanout';
const CONCURRENCY = 50;
/** Jobs run before the streams open: each new stream then reads them from the store first. */
const WARMUP_JOBS = 5;
/** Streams opened together (the server's accept backlog is finite). */
const OPEN_BATCH = 100;

/** Per job: how many subscribers have its `job.succeeded`, and when the last one got it. */
interface Arrivals {
  count: number;
  doneAt: number;
  last: number;
}

/**
 * Issue 18, one server with many SSE subscribers (SQLite): every subscriber follows the feed
 * filtered to one queue (`GET /v1/events?queue=…&type=job.succeeded`), read by a light node:http
 * client that parses every message (bench/lib/sse-reader.ts). Memory: the server's RSS and heap
 * (after a full GC) with one stream open and then with all, divided by the streams added. Delivery:
 * for each job, the time from its handler's end until the last subscriber had its event.
 */
export async function pushFanout(options: PushFanoutOptions): Promise<Measurement[]> {
  const storage = sluiceStorage('sqlite');
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const streams: SseStream[] = [];
  const arrivals = new Map<string, Arrivals>();
  const lost: string[] = [];
  let warmSeen = 0;
  let complete = 0;
  const onMessage = (data: string, receivedAt: number) => {
    const event = JSON.parse(data) as { jobId: string; data: { output: StampOutput } };
    const output = event.data.output;
    if (output.warm) {
      warmSeen += 1;
      return;
    }
    let entry = arrivals.get(event.jobId);
    if (!entry) {
      entry = { count: 0, doneAt: output.doneAt, last: 0 };
      arrivals.set(event.jobId, entry);
    }
    entry.count += 1;
    entry.last = Math.max(entry.last, receivedAt);
    if (entry.count === options.subscribers) complete += 1;
  };
  const feedUrl = (base: string) => `${base}/v1/events?queue=${QUEUE}&type=job.succeeded`;
  try {
    const server = await startPushServer(
      {
        backend: storage.url,
        queue: QUEUE,
        concurrency: CONCURRENCY,
        prefetch: lookAhead(CONCURRENCY),
        // Every stream is a connection: the default cap (1,000) would refuse the last ones.
        maxConnections: options.subscribers + 100,
      },
      { exposeGc: true },
    );
    try {
      const submit = (input: object) =>
        httpJson<{ id: string }>(agent, 'POST', `${server.url}/v1/jobs`, { type: STAMP_TYPE, queue: QUEUE, input });
      const open = () => {
        const stream = readSse(feedUrl(server.url), (message, at) => onMessage(message.data, at));
        // The feed never ends by itself: an end or an error is a subscriber lost.
        stream.ended.then(
          () => lost.push('ended by the server'),
          (error: unknown) => lost.push(error instanceof Error ? error.message : String(error)),
        );
        streams.push(stream);
        return stream.opened;
      };
      // One stream first, so the baseline holds what any open stream costs once (the hub reading).
      await open();
      for (let i = 0; i < WARMUP_JOBS; i++) await submit({ warm: true });
      await untilCount(() => warmSeen, WARMUP_JOBS, options.timeoutMs, 'fanout warm-up');
      const before = await server.memory();
      while (streams.length < options.subscribers) {
        const batch = Math.min(OPEN_BATCH, options.subscribers - streams.length);
        await Promise.all(Array.from({ length: batch }, open));
      }
      // Every stream has read the warm-up jobs from the store: each is past its history, following.
      await untilCount(() => warmSeen, WARMUP_JOBS * options.subscribers, options.timeoutMs, 'fanout streams ready');
      const after = await server.memory();
      await offerAtRate(options.rate, options.jobs, () => submit({}));
      await untilCount(() => complete, options.jobs, options.timeoutMs, `fanout to ${options.subscribers}`);
      if (lost.length > 0) throw new Error(`${lost.length} subscriber streams ended: ${lost[0]}`);

      const toAll = [...arrivals.values()].map((a) => a.last - a.doneAt).sort((a, b) => a - b);
      const added = options.subscribers - 1;
      const kb = (bytes: number) => bytes / 1024 / added;
      return [
        { metric: 'server RSS per subscriber', unit: 'KiB', better: 'lower', value: kb(after.rss - before.rss) },
        { metric: 'server heap per subscriber', unit: 'KiB', better: 'lower', value: kb(after.heapUsed - before.heapUsed) },
        { metric: 'delivery to all subscribers p50', unit: 'ms', better: 'lower', value: percentile(toAll, 50) },
        { metric: 'delivery to all subscribers p99', unit: 'ms', better: 'lower', value: percentile(toAll, 99) },
      ];
    } finally {
      for (const stream of streams) stream.close();
      await server.stop();
    }
  } finally {
    agent.destroy();
    await storage.remove();
  }
}
