import type { EventLogStore, FeedEvent, JobEventType } from '../../core/backend.js';
import type { SluiceEventName, SluiceEvents } from '../../core/events.js';
import { EVENT_PAGE_LIMIT } from '../../core/ports/event-log.js';

/** What a watcher takes: one job's events, or the events of a tenant (or every tenant) and queue. */
export type HubFilter =
  | { job: string }
  | { tenant?: string | undefined; queue?: string | undefined; types?: ReadonlySet<JobEventType> | undefined };

/** One watcher's hold on the hub. */
export interface HubWatch {
  /**
   * Resolves once a read of the feed that began after `watch` was called has finished: from then on
   * the watcher gets every event appended after the hub's position, which is at or past the end of
   * the log as it was when `watch` was called. A stream reads the store up to now after this, and
   * so misses nothing between the two (it drops what it gets twice).
   */
  synced: Promise<void>;
  stop(): void;
}

export interface EventHubOptions {
  /** How often to read the feed while someone watches, besides the wake-ups (relayed ones get lost). */
  pollMs: number;
  /** Errors of a feed read (the backend is down): logged, and the next poll tries again. */
  onError?: ((error: unknown) => void) | undefined;
}

/** The backend events that tell of a change somewhere (this process or, relayed, another one). */
const WAKE_EVENTS: readonly SluiceEventName[] = [
  'events:appended',
  'job:ended',
  'job:requeued',
  'job:progress',
  'jobs:enqueued',
  'job:cancelled',
];

interface Watcher {
  filter: HubFilter;
  deliver: (event: FeedEvent) => void;
  /** The count of feed reads begun when it registered: a read numbered above it syncs it. */
  registeredAt: number;
  synced: boolean;
  markSynced: () => void;
}

/**
 * One per server process: tails the backend's feed from its own cursor whenever woken and hands
 * each event to the watchers it concerns, so that a thousand open streams cost one read per change,
 * not a thousand. Delivery is synchronous and never waits for a watcher: each connection keeps its
 * own bounded buffer and is cut when it falls behind (see push-stream.ts). While nobody watches it
 * reads nothing and forgets its cursor; the next watcher starts it at the log's end.
 */
export class EventHub {
  private readonly byJob = new Map<string, Set<Watcher>>();
  private readonly feedWatchers = new Set<Watcher>();
  private cursor: string | undefined;
  private readsBegun = 0;
  private pending = false;
  private running = false;
  private closed = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private unsubscribe: Array<() => void> = [];

  constructor(
    private readonly log: EventLogStore,
    private readonly events: SluiceEvents,
    private readonly options: EventHubOptions,
  ) {}

  /** How many watchers there are (tests, metrics). */
  get size(): number {
    let count = this.feedWatchers.size;
    for (const set of this.byJob.values()) count += set.size;
    return count;
  }

  watch(filter: HubFilter, deliver: (event: FeedEvent) => void): HubWatch {
    let markSynced = () => {};
    const synced = new Promise<void>((resolve) => {
      markSynced = resolve;
    });
    const watcher: Watcher = { filter, deliver, registeredAt: this.readsBegun, synced: false, markSynced };
    if (this.size === 0) this.start();
    if ('job' in filter) setOf(this.byJob, filter.job).add(watcher);
    else this.feedWatchers.add(watcher);
    this.wake();
    return {
      synced,
      stop: () => this.remove(watcher),
    };
  }

  /** Reads the feed now (or right after the read in progress). */
  wake(): void {
    if (this.closed || this.size === 0) return;
    this.pending = true;
    if (!this.running) void this.run();
  }

  /** Stops reading; watchers get nothing more (their streams are closed by their owners). */
  close(): void {
    this.closed = true;
    this.stop();
    this.byJob.clear();
    this.feedWatchers.clear();
  }

  private start(): void {
    // Relayed wake-ups (NOTIFY, pub/sub) are what makes a change in another process show at once.
    this.unsubscribe = WAKE_EVENTS.map((name) => this.events.on(name, () => this.wake()));
  }

  private stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.cursor = undefined;
  }

  private remove(watcher: Watcher): void {
    if ('job' in watcher.filter) {
      const set = this.byJob.get(watcher.filter.job);
      set?.delete(watcher);
      if (set?.size === 0) this.byJob.delete(watcher.filter.job);
    } else this.feedWatchers.delete(watcher);
    if (this.size === 0) this.stop();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.pending && !this.closed && this.size > 0) {
        this.pending = false;
        const read = ++this.readsBegun;
        try {
          await this.readToEnd();
          this.syncWatchersBefore(read);
        } catch (error) {
          this.options.onError?.(error);
        }
      }
    } finally {
      this.running = false;
      if (this.size === 0) this.stop();
      else this.schedulePoll();
    }
  }

  /**
   * Reads from the hub's cursor until an empty page: past the end of the log as it was when the read
   * began (a short page is not enough: a backend may stop a page early, at a transaction that is
   * still open, say).
   */
  private async readToEnd(): Promise<void> {
    if (this.cursor === undefined) this.cursor = (await this.log.feed({ limit: 0 })).cursor;
    for (;;) {
      const page = await this.log.feed({ after: this.cursor, limit: EVENT_PAGE_LIMIT });
      this.cursor = page.cursor;
      for (const event of page.events) this.fanOut(event);
      if (page.events.length === 0 || this.size === 0) return;
    }
  }

  private fanOut(event: FeedEvent): void {
    for (const watcher of this.byJob.get(event.jobId) ?? []) {
      if (watcher.synced) watcher.deliver(event);
    }
    for (const watcher of this.feedWatchers) {
      if (watcher.synced && matches(watcher.filter, event)) watcher.deliver(event);
    }
  }

  private syncWatchersBefore(read: number): void {
    const all = [...this.feedWatchers, ...[...this.byJob.values()].flatMap((set) => [...set])];
    for (const watcher of all) {
      if (!watcher.synced && watcher.registeredAt < read) {
        watcher.synced = true;
        watcher.markSynced();
      }
    }
  }

  private schedulePoll(): void {
    if (this.closed) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => this.wake(), this.options.pollMs);
    this.pollTimer.unref();
  }
}

function matches(filter: HubFilter, event: FeedEvent): boolean {
  if ('job' in filter) return filter.job === event.jobId;
  if (filter.tenant !== undefined && event.tenant !== filter.tenant) return false;
  if (filter.queue !== undefined && event.queue !== filter.queue) return false;
  return filter.types === undefined || filter.types.has(event.type);
}

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}
