import type { EventLogStore, FeedEvent, JobEvent } from '../../core/backend.js';
import { isTerminalEvent, toJobEventJson } from '../../core/job-event-json.js';
import { EVENT_PAGE_LIMIT } from '../../core/ports/event-log.js';
import type { EventHub, HubWatch } from './event-hub.js';
import { type CutReason, type PushSink, SILENT_REPORT, type StreamLimits, type StreamReport } from './push-sink.js';

export interface JobStreamParams {
  id: string;
  tenant: string | undefined;
  /** The seq the client has (0: none). */
  after: number;
}

/**
 * One job's events for one client: the history from the store first, then the live events the hub
 * hands over. A job's seq has no gaps, so an event at or below the last one sent is dropped and one
 * past the next expected seq means something was missed: the stream reads the store again from its
 * last seq. It ends after the job's terminal event.
 */
export class JobStream {
  private last: number;
  private readonly inbox: FeedEvent[] = [];
  private watch: HubWatch | undefined;
  /** Set once the hub has synced, and at a gap: read the store after `last` before the inbox. */
  private needHistory = false;
  private running = false;
  private done = false;

  constructor(
    private readonly log: EventLogStore,
    private readonly hub: EventHub,
    private readonly sink: PushSink,
    private readonly params: JobStreamParams,
    private readonly limits: StreamLimits,
    private readonly report: StreamReport = SILENT_REPORT,
  ) {
    this.last = params.after;
    sink.onClose(() => this.stop());
  }

  /** Sends `initial` (the first page, read by the caller to answer 404 before the stream opened), then follows. */
  async start(initial: readonly JobEvent[]): Promise<void> {
    this.sendAll(initial);
    if (this.done) return;
    this.watch = this.hub.watch({ job: this.params.id }, (event) => this.receive(event));
    await this.watch.synced;
    // The hub now hands over everything after its position; the store read below covers up to it.
    this.needHistory = true;
    this.kick();
  }

  private receive(event: FeedEvent): void {
    if (this.done) return;
    this.inbox.push(event);
    if (this.inbox.length > this.limits.maxPendingEvents) this.cut('lagging');
    else this.kick();
  }

  private kick(): void {
    if (this.running || this.done) return;
    this.running = true;
    this.drain()
      .catch((error: unknown) => {
        this.report.error(error);
        this.cut('error');
      })
      .finally(() => {
        this.running = false;
        if (this.inbox.length > 0 && !this.done) this.kick();
      });
  }

  private async drain(): Promise<void> {
    while (!this.done) {
      if (this.needHistory) {
        this.needHistory = false;
        await this.readHistory();
        continue;
      }
      const event = this.inbox.shift();
      if (event === undefined) return;
      if (event.seq <= this.last) continue;
      // A gap: the store has what the hub did not hand over (it read before this stream watched).
      if (event.seq > this.last + 1) this.needHistory = true;
      else this.send(event, true);
    }
  }

  /** Reads the store after the last seq sent, page by page, waiting for the client between pages. */
  private async readHistory(): Promise<void> {
    for (;;) {
      const events = await this.log.jobEvents({ id: this.params.id, tenant: this.params.tenant, after: this.last });
      if (this.done) return;
      if (events === null) return this.finish(); // purged meanwhile: nothing more will come
      this.sendAll(events);
      if (events.length < EVENT_PAGE_LIMIT || this.done) return;
      if (this.sink.bufferedBytes > this.limits.maxBufferedBytes / 2) await this.sink.drained();
    }
  }

  private sendAll(events: readonly JobEvent[]): void {
    for (const event of events) {
      if (this.done) return;
      if (event.seq > this.last) this.send(event, false);
    }
  }

  /**
   * `live`: a hub event. A client that has not taken what it was sent before is cut rather than
   * sent more (one large event alone does not cut a client that keeps up).
   */
  private send(event: JobEvent, live: boolean): void {
    if (live && this.sink.bufferedBytes > this.limits.maxBufferedBytes) {
      this.cut('lagging');
      return;
    }
    this.sink.send(toJobEventJson(event), String(event.seq));
    this.last = event.seq;
    if (isTerminalEvent(event.type)) this.finish();
  }

  private finish(): void {
    this.stop();
    this.sink.end();
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
