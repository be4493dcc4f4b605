import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Backend } from '../core/backend.js';
import type { QueueStats } from '../core/job.js';

/** What metrics need from a backend: its events (counters) and stats (gauges at scrape time). */
export type MetricsBackend = Pick<Backend, 'events' | 'stats'>;

/** A backend, or anything that holds one (the Sluice facade). */
export type MetricsSource = MetricsBackend | { readonly backend: MetricsBackend };

export interface MetricsOptions {
  /** Also collect Node's process metrics (CPU, memory, event loop lag, GC). Default true. */
  defaultMetrics?: boolean;
}

/** Sluice's Prometheus metrics, in a registry of their own. */
export interface Metrics {
  readonly registry: Registry;
  /** Records one HTTP request (the server calls this once per response). */
  observeHttp(sample: { method: string; route: string; status: number; seconds: number }): void;
  /** Stops listening to backend events. Idempotent. */
  close(): void;
}

/**
 * Creates the metrics of one Sluice instance. Counters are fed by this process's own backend events
 * (so they count what this process did; relayed events from other processes are skipped); gauges are read from `stats()` at scrape time (so they are right whoever
 * did the work). The registry is never the global one, so tests may build many apps side by side.
 */
export function createMetrics(source: MetricsSource, options: MetricsOptions = {}): Metrics {
  const backend = 'backend' in source ? source.backend : source;
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'sluice_' });

  const enqueued = new Counter({
    name: 'sluice_jobs_enqueued_total',
    help: 'Jobs stored, by queue',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  const finished = new Counter({
    name: 'sluice_jobs_finished_total',
    help: 'Jobs that reached a terminal state, by queue, type and status',
    labelNames: ['queue', 'type', 'status'] as const,
    registers: [registry],
  });
  const runSeconds = new Histogram({
    name: 'sluice_job_run_seconds',
    help: 'Time from the start of the last attempt to the end of the job, by queue, type and status',
    labelNames: ['queue', 'type', 'status'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const statsErrors = new Counter({
    name: 'sluice_stats_errors_total',
    help: 'Scrapes whose backend stats() call failed (queue gauges are then absent)',
    registers: [registry],
  });
  const http = new Histogram({
    name: 'sluice_http_request_duration_seconds',
    help: 'HTTP request duration, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60],
    registers: [registry],
  });

  // One stats() call per scrape, shared by the gauges: registry.metrics() collects them concurrently.
  let inflight: Promise<QueueStats[]> | undefined;
  const snapshot = (): Promise<QueueStats[]> => {
    inflight ??= backend
      .stats()
      .catch(() => {
        statsErrors.inc();
        return [];
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  new Gauge({
    name: 'sluice_jobs',
    help: 'Jobs per queue and state, read from the backend at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const stats = await snapshot();
      this.reset();
      for (const q of stats) for (const [state, n] of Object.entries(q.counts)) this.set({ queue: q.name, state }, n);
    },
  });
  new Gauge({
    name: 'sluice_queue_oldest_queued_age_seconds',
    help: 'Age of the oldest queued job per queue (the lag; 0 when none is waiting)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      const stats = await snapshot();
      this.reset();
      for (const q of stats) this.set({ queue: q.name }, q.oldestQueuedAgeMs / 1000);
    },
  });
  new Gauge({
    name: 'sluice_queue_paused',
    help: '1 when the queue is paused',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      const stats = await snapshot();
      this.reset();
      for (const q of stats) this.set({ queue: q.name }, q.paused ? 1 : 0);
    },
  });

  const unsubscribe = [
    // Relayed (remote) events are skipped: the process that made the change counts it, so summing a
    // counter over every process of a fleet counts each job once.
    backend.events.on('jobs:enqueued', ({ queue, count }) => enqueued.inc({ queue }, count), { local: true }),
    // Local only: the backend then has no reason to fetch jobs other processes finished.
    backend.events.on(
      'job:finished',
      ({ job }) => {
        const labels = { queue: job.queue, type: job.type, status: job.status };
        finished.inc(labels);
        if (job.startedAt !== undefined && job.finishedAt !== undefined) {
          runSeconds.observe(labels, Math.max(0, job.finishedAt - job.startedAt) / 1000);
        }
      },
      { local: true },
    ),
  ];

  let closed = false;
  return {
    registry,
    observeHttp({ method, route, status, seconds }) {
      http.observe({ method, route, status: String(status) }, seconds);
    },
    close() {
      if (closed) return;
      closed = true;
      for (const off of unsubscribe) off();
    },
  };
}
