import type { EventLogStore, FeedEvent, FeedPage, JobEventType } from '../../core/backend.js';
import { toJobEventJson } from '../../core/job-event-json.js';
import { EVENT_PAGE_LIMIT } from '../../core/ports/event-log.js';
import type { EventHub, HubWatch } from './event-hub.js';
import { type CutReason, type PushSink, SILENT_REPORT, type StreamLimits, type StreamReport } from './push-sink.js';

export interface FeedFilter {
  tenant: string | undefined;
  queue: string | undefined;
  types: readonly JobEventType[] | undefined;
}

/**
 * The feed (a tenant's or one queue's events) for one client, from its cursor on. Feed cursors are
 * opaque (they cannot be compared), so the hand-over from the store to the hub goes by the hub's
 * sync point: the stream reads the store to the end, starts watching, waits until the hub has read
 * past the end as it was then, reads the store to the end once more, and only then sends the hub's
 * events, dropping those that read already sent (an event is its job's seq, and a job's events come
 * in seq order). No gap, no repeat, and the events leave in the feed's order, so the id of the last
 * one a client got is a cursor to resume after.
 */
export class FeedStream {
  private cursor: string;
  private readonly inbox: FeedEvent[] = [];
  /** Per job, the highest seq the last store read sent: a hub event at or below it was sent already. */
  private readonly sentByRead = new Map<string, number>();
  private watch: HubWatch | undefined;
  private live = false;
  private running = false;
  private done = false;

  constructor(
    private readonly log: EventLogStore,
    private readonly hub: EventHub,
    private readonly sink: PushSink,
    private readonly filter: FeedFilter,
    private readonly limits: StreamLimits,
    private readonly report: StreamReport = SILENT_REPORT,
  ) {
    this.cursor = '';
    sink.onClose(() => this.stop());
  }

  /** Sends `first` (read by the caller, so that a bad cursor is a 400 before the stream opens), then follows. */
  async start(first: FeedPage): Promise<void> {
    try {
      this.cursor = first.cursor;
      for (const event of first.events) this.send(event, false);
      if (first.events.length > 0) await this.readToEnd(undefined);
      if (this.done) return;
      this.watch = this.hub.watch(
        { tenant: this.filter.tenant, queue: this.filter.queue, types: typesOf(this.filter.types) },
        (event) => this.receive(event),
      );
      await this.watch.synced;
      if (this.done) return;
      await this.readToEnd(this.sentByRead);
      this.live = true;
      this.kick();
    } catch (error) {
      this.report.error(error);
      this.cut('error');
    }
  }

  /** Reads the store from the cursor until an empty page; `record` notes what it sent, per job. */
  private async readToEnd(record: Map<string, number> | undefined): Promise<void> {
    for (;;) {
      if (this.sink.bufferedBytes > this.limits.maxBufferedBytes / 2) await this.sink.drained();
      if (this.done) return;
      const page = await this.log.feed({ ...this.filter, after: this.cursor, limit: EVENT_PAGE_LIMIT });
      if (this.done) return;
      this.cursor = page.cursor;
      for (const event of page.events) {
        this.send(event, false);
        record?.set(event.jobId, event.seq);
      }
      if (page.events.length === 0) return;
    }
  }

  private receive(event: FeedEvent): void {
    if (this.done) return;
    this.inbox.push(event);
    if (this.inbox.length > this.limits.maxPendingEvents) this.cut('lagging');
    else this.kick();
  }

  private kick(): void {
    if (!this.live || this.running || this.done) return;
    this.running = true;
    try {
      for (let event = this.inbox.shift(); event !== undefined && !this.done; event = this.inbox.shift()) {
        const sent = this.sentByRead.get(event.jobId);
        if (sent !== undefined) {
          if (event.seq <= sent) continue;
          // The hub has passed what the read sent of this job: its later events are all new.
          this.sentByRead.delete(event.jobId);
        }
        this.send(event, true);
      }
    } finally {
      this.running = false;
    }
  }

  /** `live`: a hub event; a client that has not taken what it was sent before is cut (see JobStream). */
  private send(event: FeedEvent, live: boolean): void {
    if (live && this.sink.bufferedBytes > this.limits.maxBufferedBytes) {
      this.cut('lagging');
      return;
    }
    this.sink.send(toJobEventJson(event), event.cursor);
  }

  private cut(reason: CutReason): void {
    if (this.done) return;
    this.stop();
    this.report.cut(reason);
    this.sink.cut(reason);
  }

  private stop(): void {
    if (this.done) return;
    this.done = true;
    this.inbox.length = 0;
    this.watch?.stop();
  }
}

function typesOf(types: readonly JobEventType[] | undefined): ReadonlySet<JobEventType> | undefined {
  return types === undefined ? undefined : new Set(types);
}
