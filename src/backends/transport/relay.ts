import type { AdminStore } from '../../core/backend.js';
import type { Clock } from '../../core/clock.js';
import type { Job } from '../../core/job.js';
import type { ListedJob } from '../../core/listed-job.js';
import type { Broker } from './broker.js';

/** Most jobs one relay pass republishes per queue: bounds the work of a pass. */
const RELAY_MAX_PER_QUEUE = 10_000;

/** What publishing a job's message needs of it. */
export type PublishableJob = Pick<Job, 'id' | 'queue' | 'type' | 'priority' | 'runAt' | 'status'>;

export interface OutboxRelayOptions {
  store: Pick<AdminStore, 'stats' | 'list'>;
  broker: Pick<Broker, 'connected' | 'declareQueue' | 'depth'>;
  clock: Clock;
  /** This handle's prefetch window now (stands in for every consumer's). */
  prefetch: () => number;
  /** Publishes the jobs (never throws: a job left unpublished waits for the next pass). */
  publish: (jobs: PublishableJob[]) => Promise<void>;
  warn: (message: string) => void;
  /** How often a pass runs in the background (at least every second), and how often a claim that
   * came up short may run one (`due`). */
  intervalMs: number;
  /** A waiting job is republished only when it has waited at least this long. */
  minAgeMs: number;
}

/**
 * The outbox relay: for each waiting queue (not paused) whose broker queue holds fewer ready
 * messages than the store has waiting jobs, republish waiting jobs older than the minimum age.
 * Store-side it needs nothing but the port (stats, list); duplicates are harmless (fenced).
 *
 * A shortfall is not yet a loss: deliveries sit unacked in consumers' prefetch windows until they
 * are leased, and the broker counts those as not ready while the store still has them waiting.
 * So a pass republishes only what the shortfall exceeds those windows by, or, once the broker has
 * nothing ready left to deliver, every stale waiting job (at most a window's worth of them can be
 * in flight). Without this margin every pass during a backlog would republish thousands of jobs
 * the broker still holds, and list the whole backlog to find them. `force` (resume) skips it.
 */
export class OutboxRelay {
  private lastRunAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: OutboxRelayOptions) {}

  /** A claim that came up short may run a pass now. */
  due(): boolean {
    return Date.now() - this.lastRunAt >= this.options.intervalMs;
  }

  /** Runs passes in the background until close. */
  start(): void {
    if (this.closed) return;
    const interval = Math.max(this.options.intervalMs, 1_000);
    this.timer = setTimeout(() => {
      this.run(undefined).finally(() => this.start());
    }, interval);
    this.timer.unref();
  }

  /** One pass over `queues` (undefined: all); joins a pass already running. Never rejects. */
  run(queues: string[] | undefined, minAgeMs = this.options.minAgeMs, force = false): Promise<void> {
    if (this.running) return this.running;
    this.lastRunAt = Date.now();
    this.running = this.pass(queues, minAgeMs, force)
      .catch((error) => this.options.warn(`outbox relay failed: ${(error as Error).message}`))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Stops the background passes and waits for the one running. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async pass(queues: string[] | undefined, minAgeMs: number, force: boolean): Promise<void> {
    const { store, broker, clock } = this.options;
    if (!broker.connected || this.closed) return;
    const stats = await store.stats();
    const now = clock.now();
    for (const entry of stats) {
      if (queues !== undefined && !queues.includes(entry.name)) continue;
      if (entry.paused || entry.counts.queued === 0) continue;
      await broker.declareQueue(entry.name);
      const { ready, consumers } = await broker.depth(entry.name);
      const budget = relayBudget({
        waiting: entry.counts.queued,
        ready,
        consumerCount: consumers,
        prefetch: this.options.prefetch(),
        force,
      });
      if (budget === 0) continue;
      const stale: ListedJob[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({ queue: entry.name, status: 'queued', limit: 500, cursor });
        for (const job of page.jobs) if (now - Math.max(job.runAt, job.updatedAt) >= minAgeMs) stale.push(job);
        cursor = page.nextCursor;
      } while (cursor !== undefined && stale.length < budget);
      stale.length = Math.min(stale.length, budget);
      // Due now, whatever runAt said when it was written: straight to the work queue.
      await this.options.publish(stale.map((job) => ({ ...job, runAt: Math.min(job.runAt, now) })));
    }
  }
}

/**
 * How many stale waiting jobs one relay pass may republish to a queue (see OutboxRelay): the
 * shortfall of ready messages beyond what the consumers' prefetch windows can hold unacked (this
 * handle's window standing in for each consumer's), or up to the pass maximum once nothing is ready.
 */
export function relayBudget(q: {
  waiting: number;
  ready: number;
  consumerCount: number;
  prefetch: number;
  force: boolean;
}): number {
  const shortfall = q.waiting - q.ready;
  if (shortfall <= 0) return 0;
  if (q.force || q.ready === 0) return Math.min(shortfall, RELAY_MAX_PER_QUEUE);
  return Math.min(Math.max(0, shortfall - q.consumerCount * q.prefetch), RELAY_MAX_PER_QUEUE);
}
