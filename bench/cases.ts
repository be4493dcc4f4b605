import type { BenchArgs } from './lib/args.js';
import { type Case, type Measurement, targetSide } from './lib/runner.js';
import type { QueueTarget } from './lib/target.js';
import { makeTarget, type TargetName } from './peers/registry.js';
import { SluiceTarget } from './peers/sluice.js';
import { apiUnderCpu } from './workloads/api-under-cpu.js';
import { type ChatStreamOptions, chatStream } from './workloads/chat-stream.js';
import { depth } from './workloads/depth.js';
import { embedBatching } from './workloads/embed-batching.js';
import { endToEnd } from './workloads/end-to-end.js';
import { enqueueBulk, enqueueOneAtATime } from './workloads/enqueue.js';
import { type HttpOptions, rawHttp, sluiceHttp } from './workloads/http-submit.js';
import { latency } from './workloads/latency.js';
import { type PushFanoutOptions, pushFanout } from './workloads/push-fanout.js';
import { bullmqCompletedLatency, type PushLatencyOptions, sluicePushLatency } from './workloads/push-latency.js';
import { scaleOut } from './workloads/scale-out.js';

/** Sluice side first, then the peer. `null`: Sluice has no backend for it (yet). */
export const PAIRS: Record<string, [TargetName | null, TargetName]> = {
  sqlite: ['sluice-sqlite', 'raw-sqlite'],
  redis: ['sluice-redis', 'bullmq'],
  'pg-boss': ['sluice-postgres', 'pg-boss'],
  graphile: ['sluice-postgres', 'graphile-worker'],
  rabbitmq: ['sluice-rabbitmq', 'raw-amqp'],
  nats: ['sluice-nats', 'raw-nats'],
};

export const WORKLOADS = ['enqueue', 'e2e', 'latency', 'http', 'api-cpu', 'depth', 'scale-out', 'batching', 'push'] as const;

interface Sizes {
  enqueueOne: number;
  enqueueBulk: number;
  e2e: number;
  e2eC1: number;
  latencySeconds: number;
  http: HttpOptions;
  depths: number[];
  scaleN: number;
  scaleProcesses: number[];
  push: PushLatencyOptions;
  fanout: PushFanoutOptions;
  chat: ChatStreamOptions;
  sideTimeoutMs: number;
}

export function sizes(args: BenchArgs): Sizes {
  const q = args.quick;
  return {
    // One round trip per job: 5,000 keeps the full run under 30 min on 2 cores (pg-boss at c=1 is
    // paced by its polling); `--n 20000` gives the full count everywhere.
    enqueueOne: args.n ?? (q ? 2_000 : 5_000),
    enqueueBulk: args.n ?? (q ? 5_000 : 20_000),
    e2e: args.n ?? (q ? 3_000 : 20_000),
    e2eC1: args.n ?? (q ? 1_000 : 5_000),
    latencySeconds: q ? 2 : 10,
    http: { seconds: q ? 2 : 5, connections: 10, bulkSize: 100 },
    depths: q ? [10_000, 100_000] : [10_000, 1_000_000],
    scaleN: q ? 2_000 : 20_000,
    scaleProcesses: q ? [1, 2] : [1, 2, 4],
    // Issue 18's offered load; the quick run keeps the rate and shortens the run.
    push: { rate: 200, seconds: q ? 2 : 10, warmup: 50, timeoutMs: 60_000 },
    fanout: { subscribers: 1_000, jobs: q ? 20 : 100, rate: 20, timeoutMs: 60_000 },
    chat: { tokens: 500, tokenDelayMs: 5 },
    sideTimeoutMs: q ? 90_000 : 900_000,
  };
}

/** Why the Sluice side of a broker pair is n/a (its `amqp:` or `nats:` backend does not open), or undefined. */
async function brokerUnavailable(kind: 'rabbitmq' | 'nats'): Promise<string | undefined> {
  const target = new SluiceTarget(kind);
  try {
    await target.setup();
    return undefined;
  } catch (error) {
    const scheme = kind === 'rabbitmq' ? 'amqp' : 'nats';
    return `Sluice ${scheme} backend not available: ${(error instanceof Error ? error.message : String(error)).split(';')[0]}`;
  } finally {
    await target.teardown().catch(() => {});
  }
}

type Measure = (name: TargetName) => (target: QueueTarget) => Promise<Measurement[]>;

function pairSides(pair: string, measure: Measure, sluiceAvailable: boolean): Pick<Case, 'sluice' | 'peer'> {
  const [s, p] = PAIRS[pair]!;
  return {
    sluice: s && sluiceAvailable ? targetSide(() => makeTarget(s), measure(s)) : null,
    peer: targetSide(() => makeTarget(p), measure(p)),
  };
}

/** Every case the flags select, in run order. */
export async function buildCases(args: BenchArgs): Promise<Case[]> {
  const z = sizes(args);
  const cases: Case[] = [];
  const wants = (pair: string) => args.only.length === 0 || args.only.some((o) => o.includes(pair));
  const brokerNotes: Record<string, string | undefined> = {
    rabbitmq: wants('rabbitmq') ? await brokerUnavailable('rabbitmq') : undefined,
    nats: wants('nats') ? await brokerUnavailable('nats') : undefined,
  };
  const add = (workload: string, pairs: string[], measure: Measure) => {
    for (const pair of pairs) {
      const note = brokerNotes[pair];
      cases.push({
        workload,
        pair,
        ...pairSides(pair, measure, note === undefined),
        timeoutMs: z.sideTimeoutMs,
        ...(note ? { note } : {}),
      });
    }
  };
  const all = Object.keys(PAIRS);

  add('enqueue', all, () => (t) => enqueueOneAtATime(t, z.enqueueOne));
  add('enqueue', all, () => (t) => enqueueBulk(t, z.enqueueBulk));
  add('e2e', all, () => (t) => endToEnd(t, z.e2eC1, 1, z.sideTimeoutMs));
  add('e2e', all, () => (t) => endToEnd(t, z.e2e, 50, z.sideTimeoutMs));
  add('latency', all, () => (t) => latency(t, 500, z.latencySeconds));

  for (const pair of args.quick ? ['sqlite'] : ['sqlite', 'pg-boss']) {
    const kind = pair === 'sqlite' ? 'sqlite' : 'postgres';
    cases.push({
      workload: 'http',
      pair: `${pair === 'sqlite' ? 'sqlite' : 'postgres'} vs raw-fastify`,
      sluice: targetSide(
        () => new SluiceTarget(kind),
        (t) => sluiceHttp((t as SluiceTarget).sluice!, z.http),
      ),
      peer: { name: 'raw-fastify', run: () => rawHttp(z.http) },
      timeoutMs: z.sideTimeoutMs,
      note: 'API only (no workers); ceiling = bare Fastify route, same JSON parse, stores nothing',
    });
  }

  // Issue 22: API latency while CPU-bound jobs run in the same `sluice serve`; the "peer" column is
  // the same server idle.
  const cpuJobs = { jobs: 6, n: 150_000, idleSeconds: args.quick ? 2 : 4, timeoutMs: z.sideTimeoutMs };
  cases.push({
    workload: 'api-cpu',
    pair: 'sqlite: 6 factorial jobs vs idle',
    sluice: { name: 'sluice-sqlite-factorial', run: () => apiUnderCpu(cpuJobs) },
    peer: { name: 'sluice-sqlite-idle', run: () => apiUnderCpu({ ...cpuJobs, jobs: 0 }) },
    timeoutMs: z.sideTimeoutMs,
    note: '`sluice serve` (default SLUICE_CPU_THREADS), factorial n=150000 long-polled; one probe at a time, 5 ms apart',
  });

  const depthOpts = { depths: z.depths, batches: 20, limit: 50 };
  add('depth', ['sqlite', 'pg-boss'], (name) => (t) => depth(t, name, depthOpts));
  const scaleOpts = { n: z.scaleN, processes: z.scaleProcesses, concurrency: 50 };
  add('scale-out', ['pg-boss', 'redis', 'rabbitmq', 'nats'], (name) => (t) => scaleOut(t, name, scaleOpts));

  // Batching windows (issue 6): the same Sluice embed handler with and without its window; the
  // "peer" column is the unbatched run.
  const embedOpts = { n: args.n ?? (args.quick ? 320 : 1_280), latencyMs: 50, concurrency: 32, providerConcurrency: 4 };
  cases.push({
    workload: 'batching',
    pair: 'embed batched vs unbatched',
    sluice: { name: 'sluice-embed-batched', run: () => embedBatching(true, embedOpts) },
    peer: { name: 'sluice-embed-unbatched', run: () => embedBatching(false, embedOpts) },
    timeoutMs: z.sideTimeoutMs,
    note: 'SQLite, worker c=32, bundled mock provider: 50 ms per call, 4 requests at once; window 32 jobs / 20 ms',
  });

  // Issue 18: completion → notification (an SSE client on the feed, a webhook receiver) against
  // BullMQ's QueueEvents on the same Redis; then two Sluice-only rows.
  for (const kind of ['sqlite', 'postgres', 'redis'] as const) {
    for (const receiver of ['sse', 'webhook'] as const) {
      cases.push({
        workload: 'push',
        pair: `${kind} ${receiver === 'sse' ? 'SSE feed' : 'webhook'} vs bullmq QueueEvents`,
        sluice: { name: `sluice-${kind}-${receiver}`, run: () => sluicePushLatency(kind, receiver, z.push) },
        peer: { name: 'bullmq-queue-events', run: () => bullmqCompletedLatency(z.push) },
        timeoutMs: z.sideTimeoutMs,
        note: `${z.push.rate} jobs/s offered for ${z.push.seconds} s; worker c=50 (Sluice: in the server process); handler end → receiver has job.succeeded`,
      });
    }
  }
  cases.push({
    workload: 'push',
    pair: `sqlite ${z.fanout.subscribers} SSE subscribers (feed)`,
    sluice: { name: 'sluice-sqlite', run: () => pushFanout(z.fanout) },
    peer: null,
    timeoutMs: z.sideTimeoutMs,
    note: `one server process; every subscriber follows GET /v1/events?queue=…; ${z.fanout.jobs} jobs at ${z.fanout.rate}/s; memory after a full GC`,
  });
  cases.push({
    workload: 'push',
    pair: `sqlite chat stream, ${z.chat.tokens} tokens`,
    sluice: { name: 'sluice-sqlite', run: () => chatStream(z.chat) },
    peer: null,
    timeoutMs: z.sideTimeoutMs,
    note: `\`sluice serve\`, bundled mock provider at ${z.chat.tokenDelayMs} ms/token, default emitFlushMs (50 ms); client on GET /v1/jobs/{id}/events`,
  });

  const selected = cases.filter((c) => {
    if (args.only.length === 0) return true;
    const basePair = c.pair.split(' ')[0]!;
    return args.only.some(
      (o) =>
        o === c.workload ||
        o === c.pair ||
        o === basePair ||
        o === `${c.workload}:${c.pair}` ||
        o === `${c.workload}:${basePair}`,
    );
  });
  // Depth loads up to a million jobs per side: one run is the bound there (noted in the row).
  for (const c of selected)
    if (c.workload === 'depth') c.note = [c.note, 'loads the queue once per run'].filter(Boolean).join(' · ');
  return selected;
}
